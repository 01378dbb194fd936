/// The `kind` byte of an operation's tag: what its completion means.
enum OperationKind: UInt8 {
    /// Multishot accept; the tag's slot is the reactor's listen-socket index.
    case accept = 1
    case connect
    case connectTimeout
    /// Multishot recv: from the client (flow 0) or from the server (flow 1).
    case receiveFromClient
    case receiveFromServer
    /// Send to the server (flow 0) or to the client (flow 1).
    case sendToServer
    case sendToClient
    /// Splice from the client (flow 0) or the server (flow 1) into the flow's pipe.
    case spliceFromClient
    case spliceFromServer
    /// Splice from the flow's pipe to the server (flow 0) or the client (flow 1).
    case spliceToServer
    case spliceToClient
    /// Polls that wait for a socket before a splice that found it not ready is retried.
    case clientReadable
    case serverReadable
    case serverWritable
    case clientWritable
    case cancel
    /// The reactor's mailbox eventfd.
    case mailbox
    /// Nothing waits for it (closing a rejected or finished socket).
    case detached
}

extension OperationKind {
    /// The flow an operation belongs to: 0 for client → server, 1 for server → client.
    @inline(__always)
    var direction: Int {
        switch self {
        case .receiveFromServer, .sendToClient, .spliceFromServer, .spliceToClient, .serverReadable, .clientWritable:
            return 1
        default: return 0
        }
    }

    /// The operations of flow `direction` (0: client → server, 1: server → client).
    @inline(__always)
    static func receive(_ direction: Int) -> OperationKind { direction == 0 ? .receiveFromClient : .receiveFromServer }
    @inline(__always)
    static func send(_ direction: Int) -> OperationKind { direction == 0 ? .sendToServer : .sendToClient }
    static func spliceIn(_ direction: Int) -> OperationKind { direction == 0 ? .spliceFromClient : .spliceFromServer }
    static func spliceOut(_ direction: Int) -> OperationKind { direction == 0 ? .spliceToServer : .spliceToClient }
    static func sourceReadable(_ direction: Int) -> OperationKind { direction == 0 ? .clientReadable : .serverReadable }
    static func destinationWritable(_ direction: Int) -> OperationKind {
        direction == 0 ? .serverWritable : .clientWritable
    }

    var isMultishot: Bool { self == .receiveFromClient || self == .receiveFromServer }
}
