#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads, parses and validates `proxy.conf`. Either a complete `ProxyConfig` or
/// every error in the file, in file order, each as `PATH:LINE:COLUMN: message`.
public enum ConfigLoader {
    /// Looks a server's address up (a host name, say) the way the proxy will
    /// when it starts: nil when it resolves, otherwise the reason it does not.
    public typealias ServerAddressResolver = (Endpoint) -> String?

    /// With `resolvingServers`, a server address that does not resolve is an
    /// error of the file too, at its server line: `--check` then fails on a
    /// file the proxy could not start with, as `haproxy -c` does.
    public static func parse(_ text: String, path: String,
                             resolvingServers resolve: ServerAddressResolver? = nil) -> Result<ProxyConfig, ConfigErrors> {
        parse(text, path: path, resolvingServers: resolve, reading: [])
    }

    /// `readingErrors`: what reading the file found, reported with the rest.
    private static func parse(_ text: String, path: String, resolvingServers resolve: ServerAddressResolver?,
                              reading readingErrors: [ConfigError]) -> Result<ProxyConfig, ConfigErrors> {
        var lexer = Lexer(path: path)
        let lines = lexer.lex(text)
        let parsed = Parser.parse(lines, path: path)
        var errors = readingErrors + lexer.errors + parsed.errors + Validator(path: path).validate(parsed.config)
        if let resolve {
            for pool in parsed.config.pools {
                for (server, location) in zip(pool.config.servers, pool.serverAddressLocations) {
                    if let reason = resolve(server.address) {
                        errors.append(ConfigError(path: path, at: location,
                                                  "server \(server.name): cannot resolve \(server.address): \(reason)"))
                    }
                }
            }
        }
        guard errors.isEmpty else {
            return .failure(ConfigErrors(inFileOrder(errors)))
        }
        return .success(parsed.config.proxyConfig)
    }

    public static func load(path: String, resolvingServers resolve: ServerAddressResolver? = nil) -> Result<ProxyConfig, ConfigErrors> {
        switch readFile(path) {
        case .success(let bytes):
            if let text = String(validating: bytes, as: UTF8.self) {
                return parse(text, path: path, resolvingServers: resolve)
            }
            // Each bad sequence becomes U+FFFD, so that the rest of the file is still checked.
            return parse(String(decoding: bytes, as: UTF8.self), path: path, resolvingServers: resolve,
                         reading: invalidUTF8(in: bytes, path: path))
        case .failure(let reason):
            return .failure(ConfigErrors([ConfigError(path: path, line: 1, column: 1, message: "cannot read file: \(reason.reason)")]))
        }
    }

    /// An error at the first invalid UTF-8 sequence of each line that has one,
    /// at the column the lexer gives the U+FFFD that replaces it.
    private static func invalidUTF8(in bytes: [UInt8], path: String) -> [ConfigError] {
        var errors: [ConfigError] = []
        var line = 1
        var column = 1
        var lineReported = false
        var decoder = UTF8()
        var input = bytes.makeIterator()
        while true {
            switch decoder.decode(&input) {
            case .scalarValue("\n"):
                line += 1
                column = 1
                lineReported = false
            case .scalarValue("\u{FEFF}") where line == 1 && column == 1:
                break  // the byte-order mark, which the lexer drops
            case .scalarValue:
                column += 1
            case .error:
                if !lineReported {
                    errors.append(ConfigError(path: path, line: line, column: column, message: "not valid UTF-8: the file must be UTF-8 text"))
                    lineReported = true
                }
                column += 1
            case .emptyInput:
                return errors
            }
        }
    }

    /// By line, then column; errors at the same place keep the order they were found in.
    private static func inFileOrder(_ errors: [ConfigError]) -> [ConfigError] {
        errors.enumerated()
            .sorted { ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset) }
            .map(\.element)
    }

    /// The whole file, or the system's reason (e.g. "No such file or directory").
    private static func readFile(_ path: String) -> Result<[UInt8], InvalidValue> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(InvalidValue(String(cString: strerror(errno)))) }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return .success(contents) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(InvalidValue(String(cString: strerror(errno))))
            }
            contents.append(contentsOf: chunk[..<count])
        }
    }
}
