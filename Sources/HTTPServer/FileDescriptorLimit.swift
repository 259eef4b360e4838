import Glibc

/// The process's open-file limit (RLIMIT_NOFILE), which bounds how many connections the listener can hold.
public enum FileDescriptorLimit {
    /// Raises the soft limit to the hard limit, as Go's runtime does at start: the default soft limit of 1024 is
    /// a relic of select(2), which this server does not use, and 2,000 slowloris sockets would exhaust it.
    /// Returns the limits before and after; nil when they cannot be read. Call once at start, before threads
    /// that open files exist.
    @discardableResult
    public static func raiseSoftToHard() -> (before: Int, after: Int)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let before = Self.count(limit.rlim_cur)
        guard limit.rlim_cur < limit.rlim_max else { return (before, before) }
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 else { return (before, before) }
        return (before, Self.count(raised.rlim_cur))
    }

    /// The soft limit now (Int.max when unlimited or unreadable).
    public static var current: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int.max }
        return count(limit.rlim_cur)
    }

    /// Descriptors kept out of the connection budget for everything else the process opens: the vendors'
    /// connections, config and credential files, the event loop's pipe, the runtime's own.
    static func reserve(for limit: Int) -> Int { min(128, max(8, limit / 4)) }

    /// How many connections fit under a limit: the configured cap, cut so that accept(2) rarely meets EMFILE.
    static func connectionCap(configured: Int, limit: Int) -> Int {
        guard limit < Int.max / 2 else { return configured }
        return max(1, min(configured, limit - reserve(for: limit)))
    }

    private static func count(_ value: rlim_t) -> Int {
        value > rlim_t(Int.max) ? Int.max : Int(value)  // RLIM_INFINITY is all ones
    }
}
