// SPEC §1: --check, --version, --help.
import Foundation
import Testing

extension EndToEnd {
    @Suite("Command line")
    struct CommandLine {
        /// `PATH:LINE:COLUMN: message` lines of `stderr` for `path`, as (line, column, message).
        static func errorLines(_ stderr: String, path: String) -> [(line: Int, column: Int, message: String)] {
            stderr.split(separator: "\n").compactMap { raw in
                guard raw.hasPrefix(path + ":") else { return nil }
                let parts = raw.dropFirst(path.count + 1).split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                guard parts.count == 3, let line = Int(parts[0]), let column = Int(parts[1]) else { return nil }
                return (line, column, String(parts[2]).trimmingCharacters(in: .whitespaces))
            }
        }

        /// Runs `--check` on `text` saved as `fileName`, expects exit 1, and
        /// returns the errors reported for the file, with stderr for messages.
        static func rejectedByCheck(_ fileName: String, _ text: String) throws
            -> (errors: [(line: Int, column: Int, message: String)], stderr: String) {
            let scratch = try ScratchDirectory()
            let path = try scratch.write(fileName, text)
            let outcome = try ProxyProcess.run(["--check", "--config", path])
            #expect(outcome.status == 1, "stderr:\n\(outcome.stderr)")
            return (errorLines(outcome.stderr, path: path), outcome.stderr)
        }

        @Test("--check: a valid config exits 0", .timeLimit(.minutes(1)))
        func checkValid() throws {
            let scratch = try ScratchDirectory()
            let path = try scratch.write(
                "valid.conf",
                """
                # every directive supported in the first version
                global
                    workers auto
                    max-connections 1000
                    log-level info
                    grace 5s
                    buffer-size 16k
                    buffers 512

                listener web
                    bind 127.0.0.1:18080
                    bind [::1]:18080
                    pool app
                    max-connections 500
                    idle-timeout 5m
                    proxy-protocol off

                pool app
                    balance round-robin
                    connect-timeout 2s
                    retries 2
                    server web1 127.0.0.1:19001 weight 3
                    server web2 127.0.0.1:19002
                    server spare 127.0.0.1:19003 backup

                """)
            let outcome = try ProxyProcess.run(["--check", "--config", path])
            #expect(outcome.status == 0, "stderr:\n\(outcome.stderr)\nstdout:\n\(outcome.stdout)")
        }

        @Test("--check: two errors exit 1 and both are reported as PATH:LINE:COLUMN", .timeLimit(.minutes(1)))
        func checkTwoErrors() throws {
            let (errors, stderr) = try Self.rejectedByCheck(
                "invalid.conf",
                """
                global
                    workers many
                    log-level info

                listener web
                    bind 127.0.0.1:18080
                    pool app

                pool app
                    connect-timeout forever
                    server web1 127.0.0.1:19001

                """)
            let lines = errors.map(\.line)
            #expect(lines.contains(2), "no invalid.conf:2:COLUMN: error for `workers many`; stderr:\n\(stderr)")
            #expect(lines.contains(10), "no invalid.conf:10:COLUMN: error for `connect-timeout forever`; stderr:\n\(stderr)")
        }

        @Test("--check: health-check is rejected as not supported yet", .timeLimit(.minutes(1)))
        func checkHealthCheckNotSupported() throws {
            let (errors, stderr) = try Self.rejectedByCheck(
                "health.conf",
                """
                listener web
                    bind 127.0.0.1:18080
                    pool app

                pool app
                    health-check tcp interval 2s timeout 1s rise 2 fall 3
                    server web1 127.0.0.1:19001

                """)
            #expect(
                errors.contains { $0.line == 6 && $0.message.contains("not supported yet") },
                "no health.conf:6:COLUMN: ...not supported yet; stderr:\n\(stderr)")
        }

        /// `.invalid` never resolves (RFC 6761); `localhost` always does, from /etc/hosts.
        @Test("--check: a server host name that does not resolve exits 1 at its line", .timeLimit(.minutes(1)))
        func checkUnresolvableServer() throws {
            let (errors, stderr) = try Self.rejectedByCheck(
                "names.conf",
                """
                listener web
                    bind 127.0.0.1:18080
                    pool app

                pool app
                    server near localhost:19001
                    server far nowhere.invalid:19002

                """)
            #expect(errors.map(\.line) == [7], "stderr:\n\(stderr)")
            #expect(errors.first?.message.hasPrefix("server far: cannot resolve nowhere.invalid:19002") == true,
                    "stderr:\n\(stderr)")
        }

        @Test("--version exits 0 and prints a version", .timeLimit(.minutes(1)))
        func version() throws {
            let outcome = try ProxyProcess.run(["--version"])
            #expect(outcome.status == 0, "stderr:\n\(outcome.stderr)")
            let printed = (outcome.stdout + outcome.stderr).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!printed.isEmpty, "--version printed nothing")
        }

        @Test("--help exits 0 and shows the usage", .timeLimit(.minutes(1)))
        func help() throws {
            let outcome = try ProxyProcess.run(["--help"])
            #expect(outcome.status == 0, "stderr:\n\(outcome.stderr)")
            let printed = outcome.stdout + outcome.stderr
            #expect(printed.contains("--config") && printed.contains("--check"), "usage:\n\(printed)")
        }
    }
}
