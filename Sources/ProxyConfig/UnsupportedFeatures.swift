/// The feature gate: directives that parse and validate fully but whose runtime
/// support has not landed yet, so a config using them is rejected rather than
/// half-honoured. When a feature lands, delete its entry here, and nothing else.
enum UnsupportedFeatures {
    /// Directive name → the values of its first argument that already work
    /// (empty: the directive is not supported with any value).
    private static let gate: [String: Set<String>] = [
        "admin": [],
        "tls": [],
        "tls-min-version": [],
        "tls-alpn": [],
        "handshake-timeout": [],
        "health-check": [],
        "proxy-protocol": [ProxyProtocolVersion.off.rawValue],
    ]

    /// The error for a valid directive line (directive first) that uses an unsupported feature, if it does.
    static func rejection(of tokens: [Token], path: String) -> ConfigError? {
        let directive = tokens[0]
        guard let supportedValues = gate[directive.text] else { return nil }
        guard !supportedValues.isEmpty else {
            return ConfigError(path: path, at: directive.location, "\(directive.text): not supported yet")
        }
        guard let value = tokens.dropFirst().first, !supportedValues.contains(value.text) else { return nil }
        return ConfigError(path: path, at: value.location, "\(directive.text): \(value.text) is not supported yet")
    }
}
