import CURing
import Foundation
import Logging
import ProxyConfig
import Synchronization

/// Runs the proxy: starts one reactor thread per worker, then waits for
/// signals on the calling thread (the control thread) until shutdown.
public final class ProxyServer {
    private let config: ProxyConfig
    private let logger: Logger

    public init(config: ProxyConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Serves until SIGTERM/SIGINT and draining are over; returns the exit status.
    public func run() -> Int32 {
        let descriptorLimit = FileDescriptorLimit.raiseToHardLimit()
        let signals: SignalWatcher
        let model: RuntimeModel
        do {
            signals = try SignalWatcher()
            model = try RuntimeModel(config)
        } catch {
            logger.error("cannot start: \(error)")
            return 1
        }
        let workers = workerCount()
        // Every connection holds its client's descriptor, so no reactor can hold more
        // connections than the descriptor limit, whatever max-connections says.
        let capacity = min(config.global.maxConnections, Int(clamping: descriptorLimit))
        guard let reactors = startReactors(count: workers, model: model, connectionCapacity: capacity) else { return 1 }
        let binds = config.listeners.flatMap { listener in listener.binds.map { "\(listener.name)=\($0)" } }
        logger.info("ringproxy started: \(workers) workers, listening on \(binds.joined(separator: ", ")), file descriptor limit \(descriptorLimit)")
        return superviseUntilShutdown(signals: signals, reactors: reactors, model: model)
    }

    private func workerCount() -> Int {
        switch config.global.workers {
        // One per CPU the process may run on (taskset, a container's
        // cpuset), as HAProxy and nginx count them; else per online CPU.
        case .auto:
            let allowed = Int(rp_cpus_allowed())
            return max(1, allowed > 0 ? allowed : sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        case .fixed(let count): return count
        }
    }

    /// Starts the reactors, each setting itself up on its own thread; nil if any failed.
    private func startReactors(count: Int, model: RuntimeModel, connectionCapacity capacity: Int) -> [ReactorMailbox]? {
        let started = DispatchSemaphore(value: 0)
        let failures = Mutex<[String]>([])
        var mailboxes: [ReactorMailbox] = []
        for index in 0..<count {
            let mailbox: ReactorMailbox
            do { mailbox = try ReactorMailbox() } catch {
                logger.error("cannot start reactor \(index): \(error)")
                return nil
            }
            mailboxes.append(mailbox)
            let logger = self.logger
            let thread = Thread {
                let reactor: Reactor
                do {
                    reactor = try Reactor(index: index, model: model, mailbox: mailbox, logger: logger,
                                          connectionCapacity: capacity)
                } catch {
                    failures.withLock { $0.append("reactor \(index): \(error)") }
                    started.signal()
                    return
                }
                started.signal()
                reactor.run()
            }
            thread.name = "reactor-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        for _ in 0..<count { started.wait() }
        let errors = failures.withLock { $0 }
        guard errors.isEmpty else {
            for error in errors { logger.error("cannot start: \(error)") }
            return nil
        }
        return mailboxes
    }

    private func superviseUntilShutdown(signals: SignalWatcher, reactors: [ReactorMailbox], model: RuntimeModel) -> Int32 {
        var drainDeadline: ContinuousClock.Instant?
        while true {
            let event = signals.next(timeoutMilliseconds: drainDeadline == nil ? -1 : 50)
            switch event {
            case .terminate(let name)?:
                if drainDeadline != nil {
                    logger.notice("\(name) again: exiting now with \(model.globalLimit.current) connections open")
                    return 0
                }
                logger.notice("\(name): no longer accepting; draining \(model.globalLimit.current) connections for up to \(config.global.graceMilliseconds)ms")
                drainDeadline = .now + .milliseconds(config.global.graceMilliseconds)
                for mailbox in reactors { mailbox.post(.stopAccepting) }
            case .reload?:
                logger.warning("SIGHUP: configuration reload is not supported yet; the running configuration is unchanged")
            case nil:
                break
            }
            if let deadline = drainDeadline {
                // In this order: the count read after the accepts have ended
                // includes every client they brought in.
                let acceptsEnded = reactors.allSatisfy(\.haveAcceptsEnded)
                let open = model.globalLimit.current
                if acceptsEnded && open == 0 {
                    logger.notice("drained: all connections closed; exiting")
                    return 0
                }
                if ContinuousClock.now >= deadline {
                    logger.notice("grace period over: exiting with \(open) connections open")
                    return 0
                }
            }
        }
    }
}
