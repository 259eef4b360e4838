import Foundation

/// Runs blocking work (pipe reads, waitpid, socket loops, long renders) on a thread of its own, so it never
/// holds one of the cooperative pool's two threads.
enum OffThread {
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
