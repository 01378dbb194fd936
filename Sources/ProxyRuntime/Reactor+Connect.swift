import CURing
import Glibc
import URing

/// Connecting to a server: connect linked to a timeout, retried on the next
/// server the balancer picks.
extension Reactor {
    func connectToNextServer(_ slot: Int32) {
        let listener = model.listeners[Int(table.slots[Int(slot)].listener)]
        let pool = model.pools[listener.poolIndex]
        let tried = table.slots[Int(slot)].triedServers
        let now = nowMilliseconds
        let poolIndex = listener.poolIndex
        let load = pool.load
        guard table.slots[Int(slot)].connectAttemptsLeft > 0,
              let server = pickers[poolIndex].pick(
                  client: table.slots[Int(slot)].client,
                  isUp: { pool.health[$0].isUp(atMilliseconds: now) },
                  isExcluded: { tried & (1 << UInt64($0 & 63)) != 0 },
                  activeConnections: { load[$0].active })
        else {
            logger.debug("no server left to try in pool \(pool.name); closing client")
            return closeConnection(slot)
        }
        let address = pool.servers[server].address
        let fd = openServerSocket(family: address.family)
        guard fd >= 0 else {
            let error = errno
            if Self.isOutOfResources(error) {
                return waitForDescriptor(slot, error: error)
            }
            logger.warning("cannot open a socket to \(pool.servers[server].name): \(String(cString: strerror(error)))")
            return closeConnection(slot)
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // ACKs held back from the start (HAProxy's tcp-smart-connect): the
        // handshake's last ACK then leaves with the client's first bytes, one
        // packet fewer, and the server accepts a connection whose request is
        // already there instead of waiting for it. The held ACK goes at once
        // if there are no bytes yet (`connected`); quick ACKs come back with
        // the server's first bytes (`serverSpoke`).
        QuickAcks.set(fd, on: false)
        if address.isIPv4Mapped {
            // An IPv6 socket reaches ::ffff:a.b.c.d over IPv4 only without
            // V6ONLY, which net.ipv6.bindv6only may turn on by default.
            var zero: Int32 = 0
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size))
        }
        table.slots[Int(slot)].serverFd = fd
        table.slots[Int(slot)].awaitingServerBytes = true
        table.slots[Int(slot)].server = Int32(server)
        load[server].add(1)
        table.slots[Int(slot)].triedServers |= 1 << UInt64(server & 63)
        table.slots[Int(slot)].connectAttemptsLeft -= 1
        table.slots[Int(slot)].connectStartedStamp = stamp

        // connect → link timeout: the timeout cancels the connect with
        // -ECANCELED if it is still pending after `connect-timeout`.
        ring.reserveSubmissions(2)
        let connect = ring.nextSubmission()
        io_uring_prep_connect(connect, fd, address.pointer, address.length)
        connect.pointee.link()
        track(connect, .connect, slot)
        let timeout = ring.nextSubmission()
        io_uring_prep_link_timeout(timeout, pool.connectTimeout, 0)
        track(timeout, .connectTimeout, slot)
    }

    /// A socket for a server, out of the reserve if the descriptors have run
    /// out: a multishot accept can take every free descriptor for clients in
    /// one burst, and clients that all wait for a server socket would free
    /// none, so a few descriptors are held back for server sockets alone.
    /// -1 with errno set when there is none.
    private func openServerSocket(family: Int32) -> Int32 {
        // Non-blocking, as every socket here: see `sent` and Reactor+Splicing.
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd = socket(family, type, 0)
        guard fd < 0, errno == EMFILE || errno == ENFILE, let spare = spareDescriptors.popLast() else { return fd }
        close(spare)
        // Refilled once no client waits for a descriptor.
        retryAccepts(within: Self.acceptBackoffMilliseconds)
        return socket(family, type, 0)
    }

    /// Opens reserve descriptors up to `spareDescriptorCount`, as far as the limit allows.
    func replenishSpareDescriptors() {
        while spareDescriptors.count < Self.spareDescriptorCount {
            let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                retryAccepts(within: Self.acceptBackoffMilliseconds)
                return
            }
            spareDescriptors.append(fd)
        }
    }

    /// Out of descriptors for a server socket: the client is kept, not closed
    /// (SPEC §3: running out of descriptors slows accepting down). It waits,
    /// receiving as before, while accepting pauses so that newer clients wait
    /// in the listen backlog; every `acceptBackoffMilliseconds` the waiting
    /// clients try again, oldest first, as descriptors of closed connections
    /// come free. `idle-timeout` still bounds the wait.
    private func waitForDescriptor(_ slot: Int32, error: Int32) {
        table.slots[Int(slot)].connectStartedStamp = stamp  // reclaiming treats the wait as a pending connect
        waitingForDescriptor.append(reference(slot, direction: 0))
        if waitingForDescriptor.count == 1 {
            cancelAccepts()
            if let heldBack = descriptorWarnings.admit(atMilliseconds: nowMilliseconds) {
                logger.warning("no descriptor for a server socket (\(String(cString: strerror(error)))): clients wait, accepting paused\(heldBack)")
            }
        }
        retryAccepts(within: Self.acceptBackoffMilliseconds)
    }

    /// Connects the clients waiting for a descriptor, oldest first, until one
    /// has to wait again; the rest keep their place behind it.
    func connectClientsWaitingForDescriptors() {
        guard !waitingForDescriptor.isEmpty else { return }
        let waiting = waitingForDescriptor
        waitingForDescriptor.removeAll(keepingCapacity: true)
        for entry in waiting where isCurrent(entry) && table.slots[Int(entry.slot)].state == .connecting {
            if waitingForDescriptor.isEmpty {
                connectToNextServer(entry.slot)
            } else {
                waitingForDescriptor.append(entry)
            }
        }
    }

    func connected(_ slot: Int32, result: Int32) {
        guard table.slots[Int(slot)].state == .connecting else { return }
        let poolIndex = model.listeners[Int(table.slots[Int(slot)].listener)].poolIndex
        let pool = model.pools[poolIndex]
        let serverIndex = Int(table.slots[Int(slot)].server)
        if result == 0 {
            pool.health[serverIndex].connectSucceeded()
            table.slots[Int(slot)].state = .forwarding
            table.slots[Int(slot)].lastActivityMilliseconds = nowMilliseconds
            armReceive(slot, direction: 1)
            // What the client sent (or its EOF) while we connected goes on now.
            let fromClient = table.flow(slot, 0)
            if fromClient.pointee.queuedBytes > 0 {
                scheduleSend(slot, direction: 0, flow: fromClient)
            } else {
                // No bytes to carry the handshake's last ACK: it goes now,
                // or a server that speaks first would not see the connection
                // until the held ACK's timer, 200 ms on.
                QuickAcks.set(table.slots[Int(slot)].serverFd, on: true)
            }
            passOnEndOfStreamIfDrained(slot, direction: 0)
            if !fromClient.pointee.receiving { resumeReceiveIfReady(slot, direction: 0) }
            return
        }
        let server = pool.servers[serverIndex]
        let reason = result == -ECANCELED ? "timed out" : String(cString: strerror(-result))
        logger.debug("connect to \(server.name) (\(server.address)) failed: \(reason)")
        pool.load[serverIndex].add(-1)
        if pool.health[serverIndex].connectFailed(atMilliseconds: nowMilliseconds) {
            logger.warning("server \(server.name) of pool \(pool.name) is down after \(pool.health[serverIndex].fall) failed connects (last: \(reason)); trying it again in \(pool.health[serverIndex].retryAfterMilliseconds)ms")
        }
        closeDetached(table.slots[Int(slot)].serverFd)
        table.slots[Int(slot)].serverFd = -1
        table.slots[Int(slot)].server = -1
        connectToNextServer(slot)
    }
}

extension Reactor {
    /// The server's first bytes (or its EOF) have arrived: quick ACKs on
    /// its socket again, which also sends the ACK of those bytes if it is
    /// held. Holding the handshake's ACK back made the kernel time its
    /// delayed ACKs from the connect, so every segment sent to the server
    /// within 40 ms of it (also one queued earlier and sent when the window
    /// opens) counts as a quick reply and puts the socket back to holding
    /// its ACKs (the kernel's interactive mode). A server that writes a
    /// short reply in two writes under Nagle's algorithm would then wait
    /// 40 ms for the ACK of the first. From the server's first bytes on, the
    /// kernel times from those, as on any connection; an EOF puts the
    /// socket in that mode anyway, its ACK riding on our FIN.
    func serverSpoke(_ slot: Int32, bytes: Bool) {
        guard table.slots[Int(slot)].awaitingServerBytes else { return }
        table.slots[Int(slot)].awaitingServerBytes = false
        if bytes { QuickAcks.set(table.slots[Int(slot)].serverFd, on: true) }
    }

    /// Logs each server that comes back into rotation, once across all reactors.
    func logServersBackInRotation() {
        lastHealthSweepMilliseconds = nowMilliseconds
        for pool in model.pools {
            for (index, health) in pool.health.enumerated() where health.claimReturn(atMilliseconds: nowMilliseconds) {
                logger.notice("server \(pool.servers[index].name) of pool \(pool.name) is back in rotation")
            }
        }
    }
}
