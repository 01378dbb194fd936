import CURing
import Glibc

/// Delivers SIGTERM, SIGINT and SIGHUP through a signalfd read by the control
/// thread. The signals are blocked in every thread (the mask is inherited by
/// the reactors, which are started afterwards), so no work runs in a handler.
/// SIGPIPE is blocked too: a peer that vanishes mid-send is an error code.
public struct SignalWatcher {
    enum Event {
        case terminate(name: String)
        case reload
    }

    private let fd: Int32

    init() throws {
        Self.blockSignals()
        var mask = Self.watched
        sigdelset(&mask, SIGPIPE)
        fd = signalfd(-1, &mask, Int32(SFD_CLOEXEC))
        guard fd >= 0 else { throw SocketError("signalfd", errno: errno) }
    }

    /// Blocks the signals the watcher will read. Call it first thing when
    /// the process is to run the proxy: a signal that came while the
    /// configuration loads then waits for the watcher, where it would
    /// otherwise end the process (SIGHUP included) by its default action.
    public static func blockSignals() {
        var mask = watched
        pthread_sigmask(SIG_BLOCK, &mask, nil)
    }

    private static var watched: sigset_t {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&mask, signal) }
        return mask
    }

    /// The next signal, or nil when none came within `timeoutMilliseconds` (-1: wait forever).
    func next(timeoutMilliseconds: Int32) -> Event? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMilliseconds) > 0 else { return nil }
        var info = signalfd_siginfo()
        guard read(fd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size else {
            return nil
        }
        switch Int32(info.ssi_signo) {
        case SIGHUP: return .reload
        case SIGINT: return .terminate(name: "SIGINT")
        default: return .terminate(name: "SIGTERM")
        }
    }
}
