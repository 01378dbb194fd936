import Balancing
import CURing
import Glibc
import ProxyConfig

/// The parts of the configuration the reactors read, resolved and shared
/// read-only between them.
final class RuntimeServer: Sendable {
    let name: String
    let address: SocketAddress

    init(name: String, address: SocketAddress) {
        self.name = name
        self.address = address
    }
}

final class RuntimePool: @unchecked Sendable {
    let name: String
    let servers: [RuntimeServer]
    let balancedServers: [BalancedServer]
    let algorithm: BalancingAlgorithm
    /// Passive health per server, shared by every reactor.
    let health: [ServerHealth]
    /// Connections per server, counted by every reactor.
    let load: [ServerLoad]
    /// The round-robin position every reactor's picker takes turns from.
    let rotation: SharedRoundRobin?
    let retries: Int
    /// Read by the kernel when a connect's linked timeout is submitted.
    let connectTimeout: UnsafeMutablePointer<__kernel_timespec>

    init(_ config: PoolConfig) throws {
        name = config.name
        servers = try config.servers.map {
            RuntimeServer(name: $0.name, address: try SocketAddress.resolve($0.address))
        }
        balancedServers = config.servers.map { BalancedServer(name: $0.name, weight: $0.weight, isBackup: $0.backup) }
        algorithm = BalancingAlgorithm(config.balance)
        load = config.servers.map { _ in ServerLoad() }
        rotation = algorithm == .roundRobin ? SharedRoundRobin(servers: balancedServers) : nil
        // Until active checks exist, the health-check defaults (fall 3, interval 2s)
        // govern the passive ones.
        let checks = config.healthCheck ?? HealthCheckConfig(kind: .tcp)
        health = config.servers.map { _ in
            ServerHealth(fall: checks.fall, retryAfterMilliseconds: checks.intervalMilliseconds)
        }
        retries = config.retries
        connectTimeout = .allocate(capacity: 1)
        connectTimeout.initialize(to: __kernel_timespec(
            tv_sec: config.connectTimeoutMilliseconds / 1000,
            tv_nsec: (config.connectTimeoutMilliseconds % 1000) * 1_000_000))
    }

    deinit { connectTimeout.deallocate() }
}

final class RuntimeListener: Sendable {
    let name: String
    let binds: [SocketAddress]
    let poolIndex: Int
    let idleTimeoutMilliseconds: Int64
    let limit: ConnectionLimit

    init(_ config: ListenerConfig, poolIndex: Int, globalLimit: Int) throws {
        name = config.name
        binds = try config.binds.map(SocketAddress.resolve)
        self.poolIndex = poolIndex
        idleTimeoutMilliseconds = config.idleTimeoutMilliseconds
        limit = ConnectionLimit(limit: config.maxConnections ?? globalLimit)
    }
}

/// Everything the reactors share: resolved listeners and pools, and the global connection limit.
final class RuntimeModel: Sendable {
    let listeners: [RuntimeListener]
    let pools: [RuntimePool]
    let globalLimit: ConnectionLimit
    let bufferSize: Int
    let bufferCount: Int

    init(_ config: ProxyConfig) throws {
        pools = try config.pools.map(RuntimePool.init)
        let poolIndex = Dictionary(uniqueKeysWithValues: config.pools.enumerated().map { ($1.name, $0) })
        listeners = try config.listeners.map {
            try RuntimeListener($0, poolIndex: poolIndex[$0.pool]!, globalLimit: config.global.maxConnections)
        }
        globalLimit = ConnectionLimit(limit: config.global.maxConnections)
        bufferSize = config.global.bufferSize
        bufferCount = config.global.buffers
    }
}

extension BalancingAlgorithm {
    init(_ configured: BalanceAlgorithm) {
        switch configured {
        case .roundRobin: self = .roundRobin
        case .leastConnections: self = .leastConnections
        case .randomTwo: self = .randomTwo
        case .sourceHash: self = .sourceHash
        case .maglev: self = .maglev
        }
    }
}
