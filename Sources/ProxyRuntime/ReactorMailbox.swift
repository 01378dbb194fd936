import CURing
import Glibc
import Synchronization

/// Commands from the control thread to a reactor.
enum ReactorCommand: Sendable {
    /// Close the listening sockets; established connections go on (draining).
    case stopAccepting
}

/// How the control thread reaches a reactor: a command queue plus an eventfd
/// the reactor keeps a read armed on. Control-plane only, never per byte.
final class ReactorMailbox: Sendable {
    let eventFd: Int32
    private let commands = Mutex<[ReactorCommand]>([])
    private let acceptsEnded = Atomic<Bool>(false)

    init() throws {
        eventFd = eventfd(0, Int32(EFD_CLOEXEC))
        guard eventFd >= 0 else { throw SocketError("eventfd", errno: errno) }
    }

    func post(_ command: ReactorCommand) {
        commands.withLock { $0.append(command) }
        var one: UInt64 = 1
        _ = write(eventFd, &one, MemoryLayout<UInt64>.size)
    }

    /// The reactor's side, once it has stopped accepting and its accepts have
    /// ended: every client they brought in is counted among the open connections.
    func reportAcceptsEnded() {
        acceptsEnded.store(true, ordering: .releasing)
    }

    /// The control thread's side: until this holds, no open connection does
    /// not mean drained, as a client accepted by the kernel may still be on
    /// its way to the reactor.
    var haveAcceptsEnded: Bool { acceptsEnded.load(ordering: .acquiring) }

    func take() -> [ReactorCommand] {
        commands.withLock { queue in
            defer { queue.removeAll() }
            return queue
        }
    }
}
