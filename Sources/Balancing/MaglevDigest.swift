extension ServerPicker {
    /// A fingerprint of the Maglev table over `serverNames` (weight 1 each):
    /// equal in every process that builds the same table.
    public static func maglevDigest(serverNames: [String]) -> UInt64 {
        let table = MaglevTable.build(members: Array(serverNames.indices), names: serverNames,
                                      weights: serverNames.map { _ in 1 })
        return table.entries.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }

    /// The server list the probe and its test share.
    public static let digestProbeServers = (1...7).map { "backend-\($0).example:80" }
}
