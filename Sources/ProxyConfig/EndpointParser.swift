/// Addresses `1.2.3.4:80`, `[::1]:80` and, where allowed, `host.name:80`.
enum EndpointParser {
    /// `allowingHostNames` is false for addresses the proxy binds: those must be IP literals.
    static func endpoint(_ text: String, allowingHostNames: Bool) throws(InvalidValue) -> Endpoint {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let closing = text.firstIndex(of: "]") else {
                throw InvalidValue("invalid address '\(text)': missing ']' after the IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<closing]
            let afterHost = text[text.index(after: closing)...]
            guard afterHost.hasPrefix(":") else {
                throw InvalidValue("invalid address '\(text)': expected ':PORT' after ']'")
            }
            guard isIPv6(host) else {
                throw InvalidValue("invalid address '\(text)': '\(host)' is not an IPv6 address")
            }
            portText = afterHost.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw InvalidValue("invalid address '\(text)': expected HOST:PORT")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw InvalidValue("invalid address '\(text)': write IPv6 addresses in brackets, e.g. [::1]:80")
            }
            try checkIPv4OrHostName(host, in: text, allowingHostNames: allowingHostNames)
        }
        guard let port = NumberParser.wholeNumber(portText), (1...65535).contains(port) else {
            throw InvalidValue("invalid address '\(text)': port must be a number from 1 to 65535")
        }
        return Endpoint(host: String(host), port: UInt16(port))
    }

    private static func checkIPv4OrHostName(_ host: Substring, in text: String, allowingHostNames: Bool) throws(InvalidValue) {
        guard !host.isEmpty else {
            throw InvalidValue("invalid address '\(text)': missing host before ':'")
        }
        // All digits and dots: meant as an IPv4 address, never a host name.
        if host.allSatisfy({ $0 == "." || $0.isASCII && $0.isNumber }) {
            guard isIPv4(host) else {
                throw InvalidValue("invalid address '\(text)': '\(host)' is not an IPv4 address")
            }
        } else if !allowingHostNames {
            throw InvalidValue("invalid address '\(text)': expected an IPv4 or [IPv6] address, not a host name")
        } else if !isHostName(host) {
            throw InvalidValue("invalid address '\(text)': '\(host)' is not a valid host name")
        }
    }

    static func isIPv4(_ text: Substring) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { octet in
            // No leading zeros: inet_aton would read them as octal.
            octet.count <= 3 && (octet == "0" || !octet.hasPrefix("0"))
                && NumberParser.wholeNumber(octet).map { $0 <= 255 } == true
        }
    }

    /// RFC 4291 text form: up to eight groups of 1–4 hex digits, at most one `::`,
    /// optionally ending in an IPv4 address. Zone indexes (`%eth0`) are not accepted.
    static func isIPv6(_ text: Substring) -> Bool {
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return false }
        var groupCount = 0
        for (halfIndex, half) in halves.enumerated() where !half.isEmpty {
            let groups = half.split(separator: ":", omittingEmptySubsequences: false)
            for (groupIndex, group) in groups.enumerated() {
                let isLastGroup = halfIndex == halves.count - 1 && groupIndex == groups.count - 1
                if isLastGroup && group.contains(".") {
                    guard isIPv4(group) else { return false }
                    groupCount += 2
                } else {
                    guard (1...4).contains(group.count), group.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return false }
                    groupCount += 1
                }
            }
        }
        return halves.count == 2 ? groupCount <= 7 : groupCount == 8
    }

    /// RFC 1123 names, dot-separated labels of letters, digits and inner
    /// hyphens, plus what resolvers take as well: underscores (/etc/hosts
    /// entries, container service names) and one trailing dot (a fully
    /// qualified name).
    static func isHostName(_ text: Substring) -> Bool {
        let name = text.hasSuffix(".") ? text.dropLast() : text
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return name.utf8.count <= 253 && labels.allSatisfy { label in
            (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }
}
