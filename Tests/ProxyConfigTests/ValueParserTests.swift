@testable import ProxyConfig
import Testing

@Suite struct DurationParserTests {
    @Test(arguments: [
        ("250ms", 250), ("0ms", 0), ("2s", 2_000), ("1m", 60_000), ("5m", 300_000), ("1h", 3_600_000), ("007s", 7_000),
    ] as [(String, Int64)])
    func parsesEveryUnit(text: String, milliseconds: Int64) throws {
        #expect(try DurationParser.milliseconds(text) == milliseconds)
    }

    @Test(arguments: ["", "10", "ms", "s", "1.5s", "-1s", "+1s", "10x", "2 s", "2S", "1d", "1sec"])
    func rejectsMalformedDurations(text: String) {
        #expect(throws: InvalidValue.self) { try DurationParser.milliseconds(text) }
    }

    /// Digits beyond what an Int holds are a duration too long, not a malformed one.
    @Test(arguments: ["9223372036854775807h", "99999999999999999999ms", "99999999999999999999s"])
    func rejectsOverflowingDurationsAsTooLong(text: String) {
        #expect {
            try DurationParser.milliseconds(text)
        } throws: { error in
            (error as? InvalidValue)?.reason == "duration '\(text)' is too long: at most 8760h"
        }
    }

    @Test func acceptsUpToAYearAndNoMore() throws {
        #expect(try DurationParser.milliseconds("8760h") == 31_536_000_000)
        do {
            let accepted = try DurationParser.milliseconds("8761h")
            Issue.record("8761h accepted as \(accepted) ms")
        } catch {
            #expect(error.reason == "duration '8761h' is too long: at most 8760h")
        }
        #expect(throws: InvalidValue.self) { try DurationParser.milliseconds("9223372036854775807ms") }
    }

    @Test func formatsWithTheLargestExactUnit() {
        #expect(DurationParser.format(0) == "0ms")
        #expect(DurationParser.format(250) == "250ms")
        #expect(DurationParser.format(90_000) == "90s")
        #expect(DurationParser.format(120_000) == "2m")
        #expect(DurationParser.format(7_200_000) == "2h")
    }
}

@Suite struct SizeParserTests {
    @Test(arguments: [
        ("512", 512), ("0", 0), ("16k", 16_384), ("16K", 16_384), ("4m", 4_194_304), ("4M", 4_194_304), ("1k", 1024),
    ])
    func parsesBytesAndUnits(text: String, bytes: Int) throws {
        #expect(try SizeParser.bytes(text) == bytes)
    }

    @Test(arguments: ["", "k", "16kb", "1.5k", "-1", "16 k", "1g", "0x10"])
    func rejectsMalformedSizes(text: String) {
        #expect {
            try SizeParser.bytes(text)
        } throws: { error in
            (error as? InvalidValue)?.reason.hasPrefix("invalid size '\(text)'") == true
        }
    }

    @Test(arguments: ["99999999999999999999m", "99999999999999999999k", "99999999999999999999", "9007199254740992k"])
    func rejectsOverflowingSizesAsTooLarge(text: String) {
        #expect {
            try SizeParser.bytes(text)
        } throws: { error in
            (error as? InvalidValue)?.reason == "size '\(text)' is too large"
        }
    }

    @Test func formatsWithTheLargestExactUnit() {
        #expect(SizeParser.format(512) == "512")
        #expect(SizeParser.format(16_384) == "16k")
        #expect(SizeParser.format(4_194_304) == "4m")
        #expect(SizeParser.format(1_500) == "1500")
    }
}

@Suite struct EndpointParserTests {
    @Test(arguments: [
        ("1.2.3.4:80", "1.2.3.4", 80),
        ("0.0.0.0:65535", "0.0.0.0", 65535),
        ("[::1]:80", "::1", 80),
        ("[::]:1", "::", 1),
        ("[2001:db8::8:800:200c:417a]:443", "2001:db8::8:800:200c:417a", 443),
        ("[1:2:3:4:5:6:7:8]:80", "1:2:3:4:5:6:7:8", 80),
        ("[::ffff:192.0.2.1]:80", "::ffff:192.0.2.1", 80),
        ("[fe80::]:80", "fe80::", 80),
    ] as [(String, String, UInt16)])
    func parsesIPLiterals(text: String, host: String, port: UInt16) throws {
        let endpoint = try EndpointParser.endpoint(text, allowingHostNames: false)
        #expect(endpoint == Endpoint(host: host, port: port))
        #expect(endpoint.description == text)
    }

    /// Also what resolvers take beyond RFC 1123: a trailing dot (a fully
    /// qualified name) and underscores (/etc/hosts entries, container service names).
    @Test(arguments: ["localhost:80", "backend-1.internal.example:8080", "a:1", "db01:5432", "localhost.:80",
                      "my_backend:80", "app_web_1.internal:8080"])
    func parsesHostNamesWhereAllowed(text: String) throws {
        let endpoint = try EndpointParser.endpoint(text, allowingHostNames: true)
        #expect(endpoint.description == text)
        #expect(throws: InvalidValue.self) { try EndpointParser.endpoint(text, allowingHostNames: false) }
    }

    @Test(arguments: [
        ("1.2.3.4", "invalid address '1.2.3.4': expected HOST:PORT"),
        (":80", "invalid address ':80': missing host before ':'"),
        ("1.2.3.4:", "invalid address '1.2.3.4:': port must be a number from 1 to 65535"),
        ("1.2.3.4:0", "invalid address '1.2.3.4:0': port must be a number from 1 to 65535"),
        ("1.2.3.4:65536", "invalid address '1.2.3.4:65536': port must be a number from 1 to 65535"),
        ("1.2.3.4:http", "invalid address '1.2.3.4:http': port must be a number from 1 to 65535"),
        ("1.2.3.256:80", "invalid address '1.2.3.256:80': '1.2.3.256' is not an IPv4 address"),
        ("1.2.3:80", "invalid address '1.2.3:80': '1.2.3' is not an IPv4 address"),
        ("01.2.3.4:80", "invalid address '01.2.3.4:80': '01.2.3.4' is not an IPv4 address"),
        ("::1:80", "invalid address '::1:80': write IPv6 addresses in brackets, e.g. [::1]:80"),
        ("[::1:80", "invalid address '[::1:80': missing ']' after the IPv6 address"),
        ("[::1]80", "invalid address '[::1]80': expected ':PORT' after ']'"),
        ("[::1]", "invalid address '[::1]': expected ':PORT' after ']'"),
        ("[1::2::3]:80", "invalid address '[1::2::3]:80': '1::2::3' is not an IPv6 address"),
        ("[1:2:3:4:5:6:7]:80", "invalid address '[1:2:3:4:5:6:7]:80': '1:2:3:4:5:6:7' is not an IPv6 address"),
        ("[1:2:3:4:5:6:7:8:9]:80", "invalid address '[1:2:3:4:5:6:7:8:9]:80': '1:2:3:4:5:6:7:8:9' is not an IPv6 address"),
        ("[12345::]:80", "invalid address '[12345::]:80': '12345::' is not an IPv6 address"),
        ("[g::]:80", "invalid address '[g::]:80': 'g::' is not an IPv6 address"),
        ("[fe80::1%eth0]:80", "invalid address '[fe80::1%eth0]:80': 'fe80::1%eth0' is not an IPv6 address"),
        ("[]:80", "invalid address '[]:80': '' is not an IPv6 address"),
        ("-bad-.example:80", "invalid address '-bad-.example:80': '-bad-.example' is not a valid host name"),
        ("a..b:80", "invalid address 'a..b:80': 'a..b' is not a valid host name"),
        ("a.b..:80", "invalid address 'a.b..:80': 'a.b..' is not a valid host name"),
        ("bad!name:80", "invalid address 'bad!name:80': 'bad!name' is not a valid host name"),
    ])
    func explainsInvalidAddresses(text: String, reason: String) {
        #expect {
            try EndpointParser.endpoint(text, allowingHostNames: true)
        } throws: { error in
            (error as? InvalidValue)?.reason == reason
        }
    }

    @Test func bindAddressesMustBeIPLiterals() {
        #expect {
            try EndpointParser.endpoint("localhost:80", allowingHostNames: false)
        } throws: { error in
            (error as? InvalidValue)?.reason == "invalid address 'localhost:80': expected an IPv4 or [IPv6] address, not a host name"
        }
    }
}
