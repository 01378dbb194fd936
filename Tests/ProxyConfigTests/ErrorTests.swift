import ProxyConfig
import Testing

/// Each kind of error, with its exact `path:line:column: message` text.
@Suite struct ErrorTests {
    @Test(arguments: [
        // Argument count.
        (SectionKind.pool, "    retries", "proxy.conf:2:5: retries: missing retry count"),
        (.pool, "    retries 2 3", "proxy.conf:2:15: retries: unexpected argument '3'"),
        (.global, "    log-level", "proxy.conf:2:5: log-level: missing level"),
        (.listener, "    bind", "proxy.conf:2:5: bind: missing address"),
        (.listener, "    bind 127.0.0.1:8081 extra", "proxy.conf:2:25: bind: unexpected argument 'extra'"),
        (.listener, "    proxy-protocol off v2", "proxy.conf:2:24: proxy-protocol: unexpected argument 'v2'"),
        // Numbers and their ranges.
        (.pool, "    retries two", "proxy.conf:2:13: retries: expected a whole number, got 'two'"),
        (.pool, "    retries -1", "proxy.conf:2:13: retries: expected a whole number, got '-1'"),
        (.pool, "    retries 101", "proxy.conf:2:13: retries: retry count must be between 0 and 100, got 101"),
        (.global, "    workers 0", "proxy.conf:2:13: workers: worker count must be between 1 and 1024, got 0"),
        (.global, "    workers 1025", "proxy.conf:2:13: workers: worker count must be between 1 and 1024, got 1025"),
        (.global, "    workers many", "proxy.conf:2:13: workers: expected a whole number, got 'many'"),
        (.global, "    max-connections 0", "proxy.conf:2:21: max-connections: connection limit must be at least 1, got 0"),
        (.listener, "    max-connections 0", "proxy.conf:2:21: max-connections: connection limit must be at least 1, got 0"),
        (.global, "    buffers 0", "proxy.conf:2:13: buffers: buffer count must be between 1 and 32768, got 0"),
        (.global, "    buffers 32769", "proxy.conf:2:13: buffers: buffer count must be between 1 and 32768, got 32769"),
        // Sizes.
        (.global, "    buffer-size 511", "proxy.conf:2:17: buffer-size: buffer size must be between 512 and 4m, got 511"),
        (.global, "    buffer-size 5m", "proxy.conf:2:17: buffer-size: buffer size must be between 512 and 4m, got 5m"),
        (.global, "    buffer-size 16kb", "proxy.conf:2:17: buffer-size: invalid size '16kb': expected a number of bytes, optionally followed by k or m, e.g. 16k"),
        // Durations.
        (.global, "    grace 30", "proxy.conf:2:11: grace: invalid duration '30': expected a whole number and a unit (ms, s, m, h), e.g. 250ms or 2s"),
        (.listener, "    idle-timeout 0s", "proxy.conf:2:18: idle-timeout: idle timeout must be at least 1ms, got 0s"),
        (.pool, "    connect-timeout 1.5s", "proxy.conf:2:21: connect-timeout: invalid duration '1.5s': expected a whole number and a unit (ms, s, m, h), e.g. 250ms or 2s"),
        (.pool, "    connect-timeout 0ms", "proxy.conf:2:21: connect-timeout: connect timeout must be at least 1ms, got 0ms"),
        // Choices.
        (.global, "    log-level loud", "proxy.conf:2:15: log-level: expected debug, info, notice, warning or error, got 'loud'"),
        (.pool, "    balance fastest", "proxy.conf:2:13: balance: expected round-robin, least-connections, random-two, source-hash or maglev, got 'fastest'"),
        (.listener, "    proxy-protocol v3", "proxy.conf:2:20: proxy-protocol: expected off, v1 or v2, got 'v3'"),
        (.listener, "    tls-min-version 1.1", "proxy.conf:2:21: tls-min-version: expected 1.2 or 1.3, got '1.1'"),
        // Addresses.
        (.listener, "    bind localhost:8081", "proxy.conf:2:10: bind: invalid address 'localhost:8081': expected an IPv4 or [IPv6] address, not a host name"),
        (.listener, "    bind ::1:8081", "proxy.conf:2:10: bind: invalid address '::1:8081': write IPv6 addresses in brackets, e.g. [::1]:80"),
        (.listener, "    bind 127.0.0.1:0", "proxy.conf:2:10: bind: invalid address '127.0.0.1:0': port must be a number from 1 to 65535"),
        (.global, "    admin 127.0.0.1", "proxy.conf:2:11: admin: invalid address '127.0.0.1': expected HOST:PORT"),
        (.pool, "    server b bad!host:80", "proxy.conf:2:14: server: invalid address 'bad!host:80': 'bad!host' is not a valid host name"),
        // Names.
        (.pool, "    server b/c 127.0.0.1:9002", "proxy.conf:2:12: server: invalid server name 'b/c': use letters, digits, '-', '_' and '.'"),
        // Keyword options.
        (.pool, "    server b 127.0.0.1:9002 heavy", "proxy.conf:2:29: server: expected weight or backup, got 'heavy'"),
        (.pool, "    server b 127.0.0.1:9002 weight 2 weight 3", "proxy.conf:2:38: server: 'weight' given twice"),
        (.pool, "    server b 127.0.0.1:9002 backup backup", "proxy.conf:2:36: server: 'backup' given twice"),
        (.pool, "    server b 127.0.0.1:9002 weight 0", "proxy.conf:2:36: server: weight must be between 1 and 256, got 0"),
        (.pool, "    server b 127.0.0.1:9002 weight 257", "proxy.conf:2:36: server: weight must be between 1 and 256, got 257"),
        (.pool, "    server b 127.0.0.1:9002 weight", "proxy.conf:2:5: server: missing weight"),
        (.pool, "    server b", "proxy.conf:2:5: server: missing address"),
        // Health checks.
        (.pool, "    health-check", "proxy.conf:2:5: health-check: missing check type"),
        (.pool, "    health-check http", "proxy.conf:2:18: health-check: expected tcp or send, got 'http'"),
        (.pool, "    health-check send \"PING\"", "proxy.conf:2:5: health-check: expected 'expect' and the reply's first bytes after the bytes to send"),
        (.pool, "    health-check send \"PING\" expect \"\"", "proxy.conf:2:37: health-check: expected reply must not be empty"),
        (.pool, "    health-check tcp interval 1s timeout 2s", "proxy.conf:2:5: health-check: timeout (2s) must not be longer than interval (1s)"),
        (.pool, "    health-check tcp timeout 3s", "proxy.conf:2:5: health-check: timeout (3s) must not be longer than interval (2s)"),
        (.pool, "    health-check tcp rise 0", "proxy.conf:2:27: health-check: rise must be at least 1, got 0"),
        (.pool, "    health-check tcp fall 0", "proxy.conf:2:27: health-check: fall must be at least 1, got 0"),
        (.pool, "    health-check tcp interval 0s", "proxy.conf:2:31: health-check: interval must be at least 1ms, got 0s"),
        (.pool, "    health-check tcp every 2s", "proxy.conf:2:22: health-check: expected interval, timeout, rise or fall, got 'every'"),
        (.pool, "    health-check tcp rise 2 rise 3", "proxy.conf:2:29: health-check: 'rise' given twice"),
        // TLS.
        (.listener, "    tls cert /a.crt", "proxy.conf:2:5: tls: missing 'key PATH'"),
        (.listener, "    tls key /a.key", "proxy.conf:2:5: tls: missing 'cert PATH'"),
        (.listener, "    tls cert", "proxy.conf:2:5: tls: missing certificate path"),
        (.listener, "    tls cert \"\" key /a.key", "proxy.conf:2:14: tls: certificate path must not be empty"),
        (.listener, "    tls-alpn h2,,http/1.1", "proxy.conf:2:14: tls-alpn: each protocol name must be 1 to 255 bytes long, in 'h2,,http/1.1'"),
        // Placement.
        (.pool, "    frobnicate yes", "proxy.conf:2:5: unknown directive 'frobnicate' in pool section"),
        (.pool, "    bind 127.0.0.1:8081", "proxy.conf:2:5: unknown directive 'bind' in pool section (it belongs in a listener section)"),
        (.pool, "    max-connections 5", "proxy.conf:2:5: unknown directive 'max-connections' in pool section (it belongs in a global or listener section)"),
        (.global, "    server x 127.0.0.1:1", "proxy.conf:2:5: unknown directive 'server' in global section (it belongs in a pool section)"),
    ])
    func reportsLineErrors(section: SectionKind, directive: String, error: String) {
        #expect(errorLines(of: directive, in: section) == [error])
    }

    @Test func reportsMisplacedLinesAndUnknownSections() {
        #expect(errorLines("    workers 2\n" + validListenerAndPool) == [
            "proxy.conf:1:5: 'workers' is outside any section: directives follow a global, listener NAME or pool NAME header",
        ])
        // The body of an unknown section is skipped without further errors.
        #expect(errorLines(validListenerAndPool + "frontend web\n    whatever 1\n") == [
            "proxy.conf:6:1: unknown section 'frontend' (expected global, listener NAME or pool NAME)",
        ])
        #expect(errorLines(validListenerAndPool + "bind 127.0.0.1:1\n") == [
            "proxy.conf:6:1: 'bind' must be indented: only section headers (global, listener NAME, pool NAME) are not indented",
        ])
    }

    @Test func reportsBadSectionHeaders() {
        #expect(errorLines("global extra\n" + validListenerAndPool) == [
            "proxy.conf:1:8: global: unexpected argument 'extra'",
        ])
        #expect(errorLines("global\n    workers 2\nglobal\n    workers 3\n" + validListenerAndPool) == [
            "proxy.conf:3:1: global: section given twice (first at line 1)",
        ])
        #expect(errorLines(validListenerAndPool + "pool\n    server b 127.0.0.1:9002\n") == [
            "proxy.conf:6:1: pool: missing pool name",
        ])
        #expect(errorLines(validListenerAndPool + "pool b c\n    server b 127.0.0.1:9002\n") == [
            "proxy.conf:6:8: pool: unexpected argument 'c'",
        ])
        #expect(errorLines(validListenerAndPool + "listener a:b\n    bind 127.0.0.1:1\n    pool app\n") == [
            "proxy.conf:6:10: listener: invalid listener name 'a:b': use letters, digits, '-', '_' and '.'",
        ])
    }

    @Test func reportsAnInvalidPoolReference() {
        #expect(errorLines(validListenerAndPool + "listener other\n    bind 127.0.0.1:1\n    pool \"my pool\"\n") == [
            "proxy.conf:8:10: pool: invalid pool name 'my pool': use letters, digits, '-', '_' and '.'",
        ])
    }

    @Test func checksTheBodyOfASectionWhoseHeaderIsInError() {
        #expect(errorLines(validListenerAndPool + "listener\n    bind nowhere\n") == [
            "proxy.conf:6:1: listener: missing listener name",
            "proxy.conf:7:10: bind: invalid address 'nowhere': expected HOST:PORT",
        ])
    }

    /// A header whose name is good but is followed by more is still the
    /// named section: the checks across lines see its binds, its pool
    /// reference and its servers (they used to be dropped with it).
    @Test func checksAcrossLinesTheSectionsOfHeadersWithExtraArguments() {
        let text = validListenerAndPool + """
            listener other x
                bind 127.0.0.1:8080
                pool nosuch
            pool spare y
                server s 127.0.0.1:1
                server s 127.0.0.1:2

            """
        #expect(errorLines(text) == [
            "proxy.conf:6:16: listener: unexpected argument 'x'",
            "proxy.conf:7:10: bind: 127.0.0.1:8080 is already bound by listener 'web' at line 2",
            "proxy.conf:8:10: pool: no pool named 'nosuch' is defined",
            "proxy.conf:9:12: pool: unexpected argument 'y'",
            "proxy.conf:11:12: duplicate server name 's' in pool 'spare' (first defined at line 10)",
        ])
    }

    @Test func reportsSingleValuedDirectivesGivenTwice() {
        #expect(errorLines("global\n    workers 2\n    workers 3\n" + validListenerAndPool) == [
            "proxy.conf:3:5: workers: given twice in this section (first at line 2)",
        ])
        #expect(errorLines(of: "    pool app", in: .listener) == [
            "proxy.conf:4:5: pool: given twice in this section (first at line 2)",
        ])
        // The second one's value is checked too.
        #expect(errorLines(of: "    retries 1\n    retries x", in: .pool) == [
            "proxy.conf:3:5: retries: given twice in this section (first at line 2)",
            "proxy.conf:3:13: retries: expected a whole number, got 'x'",
        ])
    }

    /// All digits but more than a 64-bit number holds: too large, not "not a number".
    @Test func reportsOverflowingNumbersAsTooLarge() {
        #expect(errorLines("global\n    workers 99999999999999999999\n    max-connections 9223372036854775808\n"
                           + "    grace 99999999999999999999s\n    buffer-size 99999999999999999999k\n" + validListenerAndPool) == [
            "proxy.conf:2:13: workers: number '99999999999999999999' is too large",
            "proxy.conf:3:21: max-connections: number '9223372036854775808' is too large",
            "proxy.conf:4:11: grace: duration '99999999999999999999s' is too long: at most 8760h",
            "proxy.conf:5:17: buffer-size: size '99999999999999999999k' is too large",
        ])
    }

    @Test func reportsMalformedStringsAndSkipsTheirLines() {
        #expect(errorLines(of: #"    retries "2"#, in: .pool) == ["proxy.conf:2:13: unterminated string"])
        #expect(errorLines(of: #"    retries "\2""#, in: .pool) == [
            #"proxy.conf:2:14: invalid escape '\2' (use \r \n \t \\ \" or \xHH)"#,
        ])
    }

    // MARK: Checks across lines and sections

    @Test func reportsAFileWithoutListeners() {
        #expect(errorLines("") == ["proxy.conf:1:1: no listener defined: the proxy would accept nothing"])
        #expect(errorLines("global\n    workers 2\npool app\n    server a 127.0.0.1:1\n") == [
            "proxy.conf:1:1: no listener defined: the proxy would accept nothing",
        ])
    }

    @Test func reportsListenersMissingBindOrPool() {
        #expect(errorLines(validListenerAndPool + "listener lonely\n") == [
            "proxy.conf:6:10: listener 'lonely' has no bind address",
            "proxy.conf:6:10: listener 'lonely' has no pool",
        ])
        #expect(errorLines(validListenerAndPool + "listener other\n    bind 127.0.0.1:1\n    pool nowhere\n") == [
            "proxy.conf:8:10: pool: no pool named 'nowhere' is defined",
        ])
    }

    @Test func reportsDuplicateNames() {
        #expect(errorLines(validListenerAndPool + "listener web\n    bind 127.0.0.1:1\n    pool app\n") == [
            "proxy.conf:6:10: duplicate listener name 'web' (first defined at line 1)",
        ])
        #expect(errorLines(validListenerAndPool + "pool app\n    server b 127.0.0.1:1\n") == [
            "proxy.conf:6:6: duplicate pool name 'app' (first defined at line 4)",
        ])
        #expect(errorLines(of: "    server a 127.0.0.1:9002", in: .pool) == [
            "proxy.conf:3:12: duplicate server name 'a' in pool 'app' (first defined at line 2)",
        ])
    }

    @Test func reportsPoolsWithoutServers() {
        #expect(errorLines(validListenerAndPool + "pool empty\n    retries 1\n") == [
            "proxy.conf:6:6: pool 'empty' has no servers",
        ])
    }

    @Test func reportsAddressesBoundTwice() {
        #expect(errorLines(of: "    bind 127.0.0.1:8080", in: .listener) == [
            "proxy.conf:3:10: bind: 127.0.0.1:8080 is already bound by listener 'web' at line 2",
        ])
        #expect(errorLines(validListenerAndPool + "listener v6\n    bind [::1]:80\n    pool app\nlistener again\n    bind [::1]:80\n    pool app\n") == [
            "proxy.conf:10:10: bind: [::1]:80 is already bound by listener 'v6' at line 7",
        ])
        #expect(errorLines("global\n    admin 127.0.0.1:8080\n" + validListenerAndPool) == [
            "proxy.conf:2:5: admin: not supported yet",
            "proxy.conf:2:11: admin: 127.0.0.1:8080 is already bound by listener 'web' at line 4",
        ])
    }

    @Test func reportsTheSameAddressWrittenAnotherWayAsBoundTwice() {
        // With SO_REUSEPORT the kernel would not refuse the second bind: it
        // would split the clients between the two listeners.
        func secondBind(_ first: String, _ second: String) -> [String] {
            errorLines(validListenerAndPool + "listener one\n    bind \(first)\n    pool app\n"
                       + "listener two\n    bind \(second)\n    pool app\n")
        }
        #expect(secondBind("[::1]:80", "[0:0:0:0:0:0:0:1]:80") == [
            "proxy.conf:10:10: bind: [0:0:0:0:0:0:0:1]:80 is already bound by listener 'one' at line 7 (as [::1]:80)",
        ])
        #expect(secondBind("[fe80::a]:80", "[FE80::A]:80") == [
            "proxy.conf:10:10: bind: [FE80::A]:80 is already bound by listener 'one' at line 7 (as [fe80::a]:80)",
        ])
        #expect(secondBind("127.0.0.2:80", "[::ffff:127.0.0.2]:80") == [
            "proxy.conf:10:10: bind: [::ffff:127.0.0.2]:80 is already bound by listener 'one' at line 7 (as 127.0.0.2:80)",
        ])
        // Different addresses or ports, and the two wildcards, are separate binds.
        #expect(secondBind("127.0.0.2:80", "127.0.0.3:80").isEmpty)
        #expect(secondBind("[::1]:80", "[::1]:81").isEmpty)
        #expect(secondBind("0.0.0.0:80", "[::]:80").isEmpty)
    }

    @Test func reportsAnInvalidLineOnlyOnceNotAlsoAsMissing() {
        // The only bind, pool and server lines are invalid, and so are the
        // headers of the only other listener and of a pool a listener names:
        // each is reported where it stands, not again as "has no ..." or
        // "no pool named".
        let text = """
            listener web
                bind 127.0.0.1:0
                pool a/b
            listener other
                bind 127.0.0.1:8081
                pool spare
            pool app
                server a 127.0.0.1:0
            pool spare extra
                server s 127.0.0.1:9001

            """
        #expect(errorLines(text) == [
            "proxy.conf:2:10: bind: invalid address '127.0.0.1:0': port must be a number from 1 to 65535",
            "proxy.conf:3:10: pool: invalid pool name 'a/b': use letters, digits, '-', '_' and '.'",
            "proxy.conf:8:14: server: invalid address '127.0.0.1:0': port must be a number from 1 to 65535",
            "proxy.conf:9:12: pool: unexpected argument 'extra'",
        ])
        #expect(errorLines("listener web!\n    bind 127.0.0.1:8080\n    pool app\npool app\n    server a 127.0.0.1:9001\n") == [
            "proxy.conf:1:10: listener: invalid listener name 'web!': use letters, digits, '-', '_' and '.'",
        ])
    }

    @Test func checksTheDirectivesUnderAHeaderTheLexerCouldNotRead() {
        #expect(errorLines(#"listener "w\q"# + "\n    bind 127.0.0.1:0\n    pool app\npool app\n    server a 127.0.0.1:9001\n") == [
            #"proxy.conf:1:12: invalid escape '\q' (use \r \n \t \\ \" or \xHH)"#,
            "proxy.conf:2:10: bind: invalid address '127.0.0.1:0': port must be a number from 1 to 65535",
        ])
        #expect(errorLines(validListenerAndPool + #"pool "p\q"# + "\n    retries many\n") == [
            #"proxy.conf:6:8: invalid escape '\q' (use \r \n \t \\ \" or \xHH)"#,
            "proxy.conf:7:13: retries: expected a whole number, got 'many'",
        ])
    }

    @Test func writesControlCharactersOfValuesAsEscapes() {
        #expect(errorLines(of: #"    bind "127.0.0.1:99999\r\n\x01""#, in: .listener) == [
            #"proxy.conf:2:10: bind: invalid address '127.0.0.1:99999\r\n\x01': port must be a number from 1 to 65535"#,
        ])
    }

    @Test func reportsServerAddressesThatDoNotResolveWhenAskedTo() {
        let text = validListenerAndPool + "pool names\n    server good app.example:80\n    server bad nowhere.invalid:81\n"
        var asked: [String] = []
        let result = ConfigLoader.parse(text, path: "proxy.conf", resolvingServers: { endpoint in
            asked.append(endpoint.description)
            return endpoint.host == "nowhere.invalid" ? "Name or service not known" : nil
        })
        guard case .failure(let errors) = result else {
            Issue.record("a server that does not resolve was accepted")
            return
        }
        #expect(errors.errors.map(\.description) == [
            "proxy.conf:8:16: server bad: cannot resolve nowhere.invalid:81: Name or service not known",
        ])
        #expect(asked == ["127.0.0.1:9001", "app.example:80", "nowhere.invalid:81"])
        // Without a resolver the loader does no lookups (it stays free of I/O).
        #expect(errorLines(text).isEmpty)
    }

    // MARK: One pass, every error

    @Test func reportsEveryErrorOfAFileInOnePassInFileOrder() {
        let text = """
            global
                workers zero
                log-level chatty
                buffer-size 1k
                buffers 99999
            listener web
                bind 127.0.0.1:8080
                bind 127.0.0.1:80800
                pool ghost
                idle-timeout forever
            listener web
                bind 127.0.0.1:8080
                pool app
            pool app
                retries 3 4
                server a 127.0.0.1:9001
                server b "127.0.0.1:9002
                server a 127.0.0.1:9003
                server c 127.0.0.1:9004 weight 999
                health-check tcp
            pool empty

            """
        #expect(errorLines(text) == [
            "proxy.conf:2:13: workers: expected a whole number, got 'zero'",
            "proxy.conf:3:15: log-level: expected debug, info, notice, warning or error, got 'chatty'",
            "proxy.conf:5:13: buffers: buffer count must be between 1 and 32768, got 99999",
            "proxy.conf:8:10: bind: invalid address '127.0.0.1:80800': port must be a number from 1 to 65535",
            "proxy.conf:9:10: pool: no pool named 'ghost' is defined",
            "proxy.conf:10:18: idle-timeout: invalid duration 'forever': expected a whole number and a unit (ms, s, m, h), e.g. 250ms or 2s",
            "proxy.conf:11:10: duplicate listener name 'web' (first defined at line 6)",
            "proxy.conf:12:10: bind: 127.0.0.1:8080 is already bound by listener 'web' at line 7",
            "proxy.conf:15:15: retries: unexpected argument '4'",
            "proxy.conf:17:14: unterminated string",
            "proxy.conf:18:12: duplicate server name 'a' in pool 'app' (first defined at line 16)",
            "proxy.conf:19:36: server: weight must be between 1 and 256, got 999",
            "proxy.conf:20:5: health-check: not supported yet",
            "proxy.conf:21:6: pool 'empty' has no servers",
        ])
    }

    @Test func reportsEveryBadValueOfAServerLine() {
        #expect(errorLines(of: "    server b/c 127.0.0.1:99999 weight 0", in: .pool) == [
            "proxy.conf:2:12: server: invalid server name 'b/c': use letters, digits, '-', '_' and '.'",
            "proxy.conf:2:16: server: invalid address '127.0.0.1:99999': port must be a number from 1 to 65535",
            "proxy.conf:2:39: server: weight must be between 1 and 256, got 0",
        ])
        // A server line in error adds no server: its pool is not also reported
        // as empty, and a later line with its name is no duplicate.
        #expect(errorLines("pool app\n    server a 127.0.0.1:0\n    server a 127.0.0.1:9001\n"
                           + "listener web\n    bind 127.0.0.1:8080\n    pool app\n")
                == ["proxy.conf:2:14: server: invalid address '127.0.0.1:0': port must be a number from 1 to 65535"])
    }

    @Test func describesErrorsOnePerLine() {
        let errors = ConfigErrors([
            ConfigError(path: "a.conf", line: 3, column: 7, message: "first"),
            ConfigError(path: "a.conf", line: 9, column: 1, message: "second"),
        ])
        #expect(errors.errors[0].description == "a.conf:3:7: first")
        #expect(errors.description == "a.conf:3:7: first\na.conf:9:1: second")
    }
}
