import Testing

extension ProxyProcess {
    /// Opens one connection per payload, then echoes all of them at once;
    /// records each connection that failed, stalled or came back different.
    /// Returns the connections, still open.
    @discardableResult
    func expectConcurrentEchoes(_ payloads: [[UInt8]], _ label: String, timeout: Double) throws -> [TestClient] {
        let clients = try payloads.map { _ in try connect(ioTimeout: 20) }
        let echoes = payloads.indices.map { index in
            Worker(name: "\(label)-\(index)") { try clients[index].roundTrip(payloads[index], timeout: timeout) }
        }
        for (index, echoed) in echoes.enumerated() {
            do {
                expectSameBytes(try echoed.value(timeout: timeout + 5, "\(label) \(index)"), payloads[index],
                                "\(label): connection \(index)\n\(stderrTail)")
            } catch {
                Issue.record("\(label): connection \(index) stalled or failed: \(error)\n\(stderrTail)")
            }
        }
        return clients
    }
}
