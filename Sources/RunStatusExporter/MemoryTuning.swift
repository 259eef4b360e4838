import Configuration
import CurlTransport
import Glibc
import Logging
import Polling
import RunStatusModel
import RunStore
import Serving

/// glibc malloc settings that keep resident memory flat under large, short-lived buffers (a 10,000-run body is
/// ~10 MB). By default glibc raises its mmap threshold after the first large free, so later bodies come from the
/// heap arenas and their pages stay resident after they are freed; a fixed threshold keeps bodies in mmap'd
/// chunks that go back to the system on free, and fewer arenas limit what each thread keeps.
/// `mallopt` is not exported by the Glibc module, hence the lookup.
public enum MemoryTuning {
    /// Buffers of this size and up are mmap'd and returned to the system when freed.
    public static let mmapThreshold: Int32 = 1 << 20
    public static let arenaMax: Int32 = 2

    /// Applies the settings once, at start; true when glibc took them.
    @discardableResult
    public static func apply() -> Bool {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let M_MMAP_THRESHOLD: Int32 = -3, M_ARENA_MAX: Int32 = -8
        return mallopt(M_MMAP_THRESHOLD, mmapThreshold) == 1 && mallopt(M_ARENA_MAX, arenaMax) == 1
    }
}
