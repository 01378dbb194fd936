import Balancing

/// The state of one client connection and its server connection, kept in the
/// reactor's connection table and addressed by slot index.
struct ConnectionSlot {
    enum State: UInt8 {
        case free, connecting, forwarding, closing
    }

    /// Bumped when the slot is freed, so completions for its previous
    /// occupant are recognised.
    var generation: UInt32 = 0
    var state: State = .free
    /// The server socket was connected with its ACKs held back and the
    /// server has sent nothing yet: see `Reactor.serverSpoke`.
    var awaitingServerBytes = false
    var clientFd: Int32 = -1
    var serverFd: Int32 = -1
    var listener: Int32 = -1
    var server: Int32 = -1
    var connectAttemptsLeft: Int32 = 0
    /// When the current connect was submitted (`Reactor.stamp`).
    var connectStartedStamp: UInt32 = 0
    /// Servers already tried for this connection, by index modulo 64: a tried
    /// server is never tried again; in pools of more than 64 servers a retry
    /// may also pass over an untried one sharing its bit.
    var triedServers: UInt64 = 0
    /// The client's address, for the hashing balancers.
    var client = ClientKey(ipv4: 0)
    /// Submitted operations whose last completion has not arrived yet; the
    /// slot is freed only when this reaches zero.
    var inFlight: Int32 = 0
    var lastActivityMilliseconds: Int64 = 0
    var nextFree: Int32 = -1
}
