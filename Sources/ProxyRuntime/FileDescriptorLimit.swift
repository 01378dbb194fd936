import Glibc

enum FileDescriptorLimit {
    /// Raises the soft RLIMIT_NOFILE to the hard limit: every connection takes two descriptors.
    @discardableResult
    static func raiseToHardLimit() -> UInt64 {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return UInt64(limit.rlim_cur)
    }
}
