import ArgumentParser
import Foundation
import Logging
import ProxyConfig
import ProxyRuntime

@main
struct RingProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringproxy",
        abstract: "A TCP load-balancing proxy whose network I/O all goes through io_uring.",
        discussion: """
            Runs in the foreground and logs to stderr. SIGTERM or SIGINT stops accepting and \
            lets open connections finish for up to `grace`; a second signal exits at once.
            """,
        version: RingProxyVersion.current
    )

    @Option(name: .long, help: "The configuration file.")
    var config: String = "./proxy.conf"

    @Flag(name: .long, help: "Validate the configuration and exit: 0 if valid, 1 with every error.")
    var check = false

    func run() throws {
        if !check { SignalWatcher.blockSignals() }
        let loaded: ProxyConfig
        switch ConfigLoader.load(path: config, resolvingServers: SocketAddress.unresolvableReason) {
        case .failure(let problems):
            for problem in problems.errors {
                FileHandle.standardError.write(Data((problem.description + "\n").utf8))
            }
            throw ExitCode(1)
        case .success(let valid):
            loaded = valid
        }
        if check {
            FileHandle.standardError.write(Data("\(config): configuration is valid\n".utf8))
            return
        }
        let level = loaded.global.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(configured: level)
            return handler
        }
        let status = ProxyServer(config: loaded, logger: Logger(label: "ringproxy")).run()
        throw ExitCode(status)
    }
}

extension Logger.Level {
    init(configured level: LogLevel) {
        switch level {
        case .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        }
    }
}
