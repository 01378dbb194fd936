// Runs the real ringproxy binary: one-shot commands (--check, --version) and a
// long-running proxy started from a config text.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct ProxyError: Error, CustomStringConvertible {
    let description: String
}

/// A temporary directory, removed on deinit.
final class ScratchDirectory: @unchecked Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ringproxy-e2e-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` to `name` inside the directory; returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func read(_ name: String) -> String {
        (try? String(contentsOfFile: path(name), encoding: .utf8)) ?? ""
    }
}

final class ProxyProcess: @unchecked Sendable {
    /// `RINGPROXY_BIN` if set, else `<package root>/.build/debug/ringproxy`.
    static var binaryPath: String {
        if let path = ProcessInfo.processInfo.environment["RINGPROXY_BIN"], !path.isEmpty { return path }
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // EndToEndTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/ringproxy").path
    }

    let scratch: ScratchDirectory
    let configPath: String
    /// The endpoints the proxy was started to listen on.
    let listening: [Endpoint]
    /// Objects (backends) that must live as long as the proxy, whatever the optimiser does.
    private let attachments: [AnyObject]
    private let process: Process

    var pid: Int32 { process.processIdentifier }

    /// CPU time the proxy has used so far, all its threads (io-wq workers included).
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let fields = stat.split(separator: ")").last?.split(separator: " "),
              fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12])
        else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Descriptors the proxy has open now.
    var openDescriptorCount: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    /// Threads of the proxy now, io_uring's io-wq workers included.
    var threadCount: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").count) ?? 0
    }

    // MARK: One-shot commands

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the binary with `arguments` to completion (bounded by `timeout`).
    static func run(_ arguments: [String], timeout: Double = 10) throws -> Outcome {
        let scratch = try ScratchDirectory()
        let process = try launch(arguments, in: scratch)
        guard let status = waitForExit(process, timeout: timeout) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ProxyError(description: "ringproxy \(arguments.joined(separator: " ")) did not exit within \(timeout) s")
        }
        return Outcome(status: status, stdout: scratch.read("stdout.log"), stderr: scratch.read("stderr.log"))
    }

    /// Starts `ringproxy --config FILE` with `config`, sends `signal` as soon
    /// as it has read the file (while it still parses and checks it), and says
    /// whether it was running `settle` seconds later; then stops it with SIGTERM.
    /// `beforeStart`: the proxy had not yet logged that it started when signalled.
    ///
    /// Spawned with no signal blocked, as systemd or a shell would start it:
    /// this test process blocks most signals, and a child inherits that mask
    /// through exec, which would hide any start-up race.
    static func signalledWhileLoading(config: String, signal: Int32, settle: Double = 1) throws
        -> (beforeStart: Bool, survived: Bool, status: Int32, stderr: String) {
        let scratch = try ScratchDirectory()
        let configPath = try scratch.write("proxy.conf", config)
        let stderrPath = scratch.path("stderr.log")
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var files = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&files)
        defer { posix_spawn_file_actions_destroy(&files) }
        posix_spawn_file_actions_addopen(&files, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let words: [String] = [binaryPath, "--config", configPath]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, binaryPath, &files, &attributes, argv, environ) == 0 else {
            throw ProxyError(description: "cannot spawn \(binaryPath)")
        }
        // Bytes read so far, by read(2) (the libraries are mapped, not read).
        let bytesRead = { () -> Int in
            var count = 0
            ProcFile.forEachLine("/proc/\(pid)/io") { line in
                guard line.hasPrefix("rchar:") else { return true }
                count = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
                return false
            }
            return count
        }
        _ = waitUntil(timeout: 10, interval: 0.001) { bytesRead() >= config.utf8.count }
        let beforeStart = !scratch.read("stderr.log").contains("ringproxy started")
        kill(pid, signal)
        sleep(seconds: settle)
        var status: Int32 = 0
        let survived = waitpid(pid, &status, WNOHANG) == 0
        if survived {
            kill(pid, SIGTERM)
            let exited = waitUntil(timeout: 20) { waitpid(pid, &status, WNOHANG) == pid }
            if !exited {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                throw ProxyError(description: "ringproxy did not exit within 20 s of SIGTERM")
            }
        }
        let exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (beforeStart, survived, exitStatus, scratch.read("stderr.log"))
    }

    // MARK: The running proxy

    /// Writes `config` to a temporary file, starts `ringproxy --config FILE`, and waits
    /// (bounded) until the proxy has a listening socket on the port of every endpoint in
    /// `listening` and has logged that it started. Throws with the proxy's stderr if it exits or never listens.
    ///
    /// Readiness is read from /proc (a LISTEN socket owned by the proxy's pid) rather than
    /// by connecting, so that no probe connection reaches a backend, a balancer or a
    /// connection limit. `keepingAlive` objects (backends) live at least as long as the proxy.
    /// `fileDescriptorLimit`: run the proxy under that RLIMIT_NOFILE (soft and hard), through prlimit.
    /// `cpus`: run it on those CPUs only (a `taskset -c` list).
    init(config: String, listening: [Endpoint], keepingAlive attachments: [AnyObject] = [], timeout: Double = 10,
         fileDescriptorLimit: Int? = nil, cpus: String? = nil) throws {
        scratch = try ScratchDirectory()
        self.listening = listening
        self.attachments = attachments
        configPath = try scratch.write("proxy.conf", config)
        process = try Self.launch(["--config", configPath], in: scratch, fileDescriptorLimit: fileDescriptorLimit,
                                  cpus: cpus)
        let deadline = monotonicNow() + timeout
        let wanted = Set(listening.map(\.port))
        while true {
            if !process.isRunning {
                throw ProxyError(description: """
                    ringproxy exited (status \(Self.status(of: process))) before listening on \(listening)
                    config:
                    \(config)
                    stderr:
                    \(stderrText)
                    """)
            }
            // The line is logged once every reactor has set up (the first
            // listening socket comes before the other reactors' descriptors).
            if wanted.isSubset(of: listeningPorts()) && stderrText.contains("ringproxy started") { return }
            if monotonicNow() > deadline {
                let seen = listeningPorts().sorted()
                stop()
                throw ProxyError(description: """
                    ringproxy not listening on \(listening) after \(timeout) s (LISTEN ports seen: \(seen))
                    config:
                    \(config)
                    stderr:
                    \(stderrText)
                    """)
            }
            sleep(seconds: 0.02)
        }
    }

    deinit { stop() }

    var isRunning: Bool { process.isRunning }

    /// Running and not in the middle of writing a crash report.
    var isAlive: Bool { isRunning && !Self.crashMarkers.contains(where: stderrText.contains) }

    private static let crashMarkers = [
        "Fatal error", "Simultaneous accesses", "Fatal access conflict", "*** Signal", "*** Program crashed",
    ]

    /// Everything the proxy wrote to stderr so far.
    var stderrText: String { scratch.read("stderr.log") }

    /// A short excerpt of stderr for failure messages: the exit status if the proxy is
    /// gone, the start of a crash report if there is one, else the last lines.
    var stderrTail: String {
        var text = stderrText
        let crashMarkers = Self.crashMarkers
        if isRunning && crashMarkers.contains(where: text.contains) {
            _ = waitForExit(timeout: 3)  // let the backtracer finish writing
            text = stderrText
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let state = isRunning ? "running" : "exited with status \(Self.status(of: process))"
        var excerpt: [Substring]
        if let crash = lines.firstIndex(where: { line in crashMarkers.contains { line.contains($0) } }) {
            excerpt = lines[..<crash].suffix(10) + lines[crash...].prefix(30)
        } else {
            excerpt = Array(lines.suffix(40))
        }
        return "--- ringproxy (\(state)) stderr excerpt ---\n" + excerpt.joined(separator: "\n")
    }

    func signal(_ signal: Int32) {
        if process.isRunning { kill(pid, signal) }
    }

    /// Sends SIGSTOP and returns once every thread of the proxy has stopped; false if
    /// one still runs after `timeout`. The signal takes effect asynchronously: on a
    /// loaded machine a reactor can go on accepting for a while after kill(2) returns.
    func freeze(timeout: Double = 5) -> Bool {
        signal(SIGSTOP)
        return waitUntil(timeout: timeout, interval: 0.002) { everyThreadStopped }
    }

    /// True if each thread is in state T. io_uring's kernel workers (iou-*) never
    /// stop for a signal, and do not run the reactors' accepts, so they are skipped.
    private var everyThreadStopped: Bool {
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return false }
        return threads.allSatisfy { thread in
            var name = "", state = ""
            ProcFile.forEachLine("/proc/\(pid)/task/\(thread)/status") { line in
                if line.hasPrefix("Name:") { name = line.dropFirst(5).trimmingCharacters(in: .whitespaces) }
                if line.hasPrefix("State:") { state = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                return state.isEmpty
            }
            return name.hasPrefix("iou-") || state.hasPrefix("T")
        }
    }

    /// The exit status (128+N if killed by signal N), or nil if still running after `timeout`.
    func waitForExit(timeout: Double) -> Int32? { Self.waitForExit(process, timeout: timeout) }

    /// Waits until the proxy has written `text` to stderr; false after `timeout` seconds.
    func waitForLog(_ text: String, timeout: Double = 5) -> Bool {
        waitUntil(timeout: timeout, interval: 0.02) { stderrText.contains(text) }
    }

    /// VmRSS of the proxy in bytes (nil if it is gone).
    var residentBytes: Int? {
        var bytes: Int?
        ProcFile.forEachLine( "/proc/\(pid)/status") { line in
            guard line.hasPrefix("VmRSS:") else { return true }
            bytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }.first.map { $0 * 1024 }
            return false
        }
        return bytes
    }

    /// Kills the proxy (SIGKILL) if it still runs, and reaps it. Idempotent.
    func stop() {
        guard process.isRunning else { return }
        kill(pid, SIGKILL)
        _ = waitForExit(timeout: 5)
    }

    /// TCP ports on which the proxy process holds a LISTEN socket.
    func listeningPorts() -> Set<UInt16> {
        // Socket inodes owned by the process.
        var inodes = Set<String>()
        let fdDir = "/proc/\(pid)/fd"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: fdDir)) ?? [] {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdDir)/\(entry)"),
                target.hasPrefix("socket:[")
            else { continue }
            inodes.insert(String(target.dropFirst("socket:[".count).dropLast()))
        }
        var ports = Set<UInt16>()
        for table in ["tcp", "tcp6"] {
            // The kernel lists LISTEN sockets first; stop at the first other state, so a
            // netns with tens of thousands of connections costs nothing.
            ProcFile.forEachLine( "/proc/\(pid)/net/\(table)") { line in
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                let fields = line.split(separator: " ")
                guard fields.count > 9, fields[0] != "sl" else { return true }
                guard fields[3] == "0A" else { return false }
                if inodes.contains(String(fields[9])), let portHex = fields[1].split(separator: ":").last,
                    let port = UInt16(portHex, radix: 16)
                {
                    ports.insert(port)
                }
                return true
            }
        }
        return ports
    }

    // MARK: Plumbing

    private static func launch(_ arguments: [String], in scratch: ScratchDirectory,
                               fileDescriptorLimit: Int? = nil, cpus: String? = nil) throws -> Process {
        let binary = binaryPath
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ProxyError(description: "ringproxy binary not found or not executable at \(binary) (set RINGPROXY_BIN)")
        }
        let stdoutPath = try scratch.write("stdout.log", "")
        let stderrPath = try scratch.write("stderr.log", "")
        let process = Process()
        var command = [binary] + arguments
        if let limit = fileDescriptorLimit { command = ["/usr/bin/prlimit", "--nofile=\(limit):\(limit)", "--"] + command }
        if let cpus { command = ["/usr/bin/taskset", "-c", cpus] + command }
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.currentDirectoryURL = scratch.url
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        try process.run()
        return process
    }

    private static func waitForExit(_ process: Process, timeout: Double) -> Int32? {
        waitUntil(timeout: timeout) { !process.isRunning } ? status(of: process) : nil
    }

    private static func status(of process: Process) -> Int32 {
        process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }
}

extension ProxyProcess {
    /// A client connected through the proxy to `endpoint` (default: the first listener).
    /// A failure to connect carries the proxy's state and stderr.
    func connect(_ endpoint: Endpoint? = nil, from source: String? = nil, ioTimeout: Double = 10) throws -> TestClient {
        let target = endpoint ?? listening[0]
        do {
            return try TestClient(target, from: source, ioTimeout: ioTimeout)
        } catch {
            throw ProxyError(description: "connecting to the proxy at \(target): \(error)\n\(stderrTail)")
        }
    }
}
