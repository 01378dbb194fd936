/// A hashed timer wheel over slot indices, one per reactor, advanced by the
/// loop's own clock instead of a timeout submission per connection.
///
/// Deadlines beyond the wheel's horizon are filed at the horizon; the expiry
/// callback re-checks the real deadline and reschedules, so a moved deadline
/// (activity on a connection) costs nothing until its bucket comes round.
final class TimerWheel {
    let tickMilliseconds: Int64
    let bucketCount: Int
    private var heads: [Int32]
    private let next: UnsafeMutablePointer<Int32>
    private let previous: UnsafeMutablePointer<Int32>
    private let capacity: Int
    /// The bucket an item is filed in plus one; 0 when it is not filed, so
    /// the never-touched (zero) pages of reserved memory need no initialising.
    private let filedBucket: UnsafeMutablePointer<Int32>
    private var currentTick: Int64

    init(capacity: Int, tickMilliseconds: Int64, bucketCount: Int, nowMilliseconds: Int64) {
        self.tickMilliseconds = tickMilliseconds
        self.bucketCount = bucketCount
        heads = Array(repeating: -1, count: bucketCount)
        self.capacity = capacity
        next = ReservedMemory.reserve(Int32.self, capacity: capacity)
        previous = ReservedMemory.reserve(Int32.self, capacity: capacity)
        filedBucket = ReservedMemory.reserve(Int32.self, capacity: capacity)
        currentTick = nowMilliseconds / tickMilliseconds
    }

    deinit {
        ReservedMemory.release(next, capacity: capacity)
        ReservedMemory.release(previous, capacity: capacity)
        ReservedMemory.release(filedBucket, capacity: capacity)
    }

    /// When the next bucket is due, for the loop's wait timeout.
    var nextTickMilliseconds: Int64 { (currentTick + 1) * tickMilliseconds }

    func schedule(_ item: Int32, atMilliseconds deadline: Int64) {
        cancel(item)
        let tick = min(max(deadline / tickMilliseconds, currentTick + 2), currentTick + Int64(bucketCount) - 1)
        let bucket = Int32(tick % Int64(bucketCount))
        let index = Int(item)
        filedBucket[index] = bucket + 1
        previous[index] = -1
        next[index] = heads[Int(bucket)]
        if next[index] >= 0 { previous[Int(next[index])] = item }
        heads[Int(bucket)] = item
    }

    func cancel(_ item: Int32) {
        let index = Int(item)
        let bucket = filedBucket[index] - 1
        guard bucket >= 0 else { return }
        if previous[index] >= 0 {
            next[Int(previous[index])] = next[index]
        } else {
            heads[Int(bucket)] = next[index]
        }
        if next[index] >= 0 { previous[Int(next[index])] = previous[index] }
        filedBucket[index] = 0
    }

    /// Takes out one item whose bucket is due by `now`, or returns nil when
    /// none is left. Items scheduled meanwhile land at least two ticks ahead,
    /// so draining the wheel this way always ends.
    func popExpired(upToMilliseconds now: Int64) -> Int32? {
        let target = now / tickMilliseconds
        while currentTick < target {
            let bucket = Int((currentTick + 1) % Int64(bucketCount))
            let item = heads[bucket]
            if item >= 0 {
                cancel(item)
                return item
            }
            currentTick += 1
        }
        return nil
    }
}
