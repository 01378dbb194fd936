/// This reactor's count of connections assigned to each server of each pool
/// (connecting or established), for least-connections and random-two.
/// Private to the reactor: no atomics, no shared cache lines.
struct ServerLoad {
    private let counts: UnsafeMutablePointer<Int32>
    private let poolStart: [Int]

    init(serversPerPool: [Int]) {
        var start = 0
        poolStart = serversPerPool.map { count in
            defer { start += count }
            return start
        }
        counts = .allocate(capacity: max(start, 1))
        counts.initialize(repeating: 0, count: max(start, 1))
    }

    @inline(__always)
    func active(pool: Int, server: Int) -> Int {
        Int(counts[poolStart[pool] + server])
    }

    @inline(__always)
    func add(_ delta: Int32, pool: Int, server: Int) {
        counts[poolStart[pool] + server] += delta
    }
}
