import CURing

/// Accessors for a completion queue entry's fields and flags.
extension io_uring_cqe {
    /// The multishot request stays armed: more completions will follow.
    @inline(__always)
    public var hasMore: Bool { flags & rp_cqe_f_more() != 0 }

    /// The id of the provided buffer that holds this completion's bytes, if any.
    @inline(__always)
    public var bufferID: Int? {
        flags & rp_cqe_f_buffer() != 0 ? Int(flags >> rp_cqe_buffer_shift()) : nil
    }
}

extension io_uring_sqe {
    @inline(__always)
    public mutating func link() { flags |= rp_iosqe_io_link() }

    @inline(__always)
    public mutating func selectBuffer(group: UInt16) {
        flags |= rp_iosqe_buffer_select()
        buf_group = group
    }

    @inline(__always)
    public mutating func skipSuccessCompletion() { flags |= rp_iosqe_cqe_skip_success() }

    /// Ends a multishot recv (its last completion without IORING_CQE_F_MORE)
    /// once it has received `bytes` in all, or more by at most one buffer.
    /// The kernel field is `optlen`, which shares its place with
    /// `file_index`, the name liburing 2.3's header knows. Kernels without
    /// the cap reject the recv with EINVAL: see `RingProbe.capsMultishotReceives`.
    @inline(__always)
    public mutating func limitMultishotReceive(toBytes bytes: UInt32) { file_index = bytes }
}
