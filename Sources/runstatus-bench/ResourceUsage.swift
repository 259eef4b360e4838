import Foundation
import Glibc

/// CPU and memory figures of this process and of a child, from getrusage, clock_gettime and /proc.
enum ResourceUsage {
    /// User plus system CPU of the whole process (every thread), from getrusage(RUSAGE_SELF).
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// CPU of the calling thread only: what one render cost, whatever else the machine was doing.
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    struct Memory: Sendable {
        /// VmRSS, bytes.
        var resident = 0
        /// VmHWM: the peak resident size since start or since `resetPeak()`, bytes.
        var peak = 0
    }

    static func memory() -> Memory {
        var m = Memory()
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return m }
        for line in status.split(separator: "\n") {
            if line.hasPrefix("VmRSS:") { m.resident = kilobytes(line) * 1024 }
            if line.hasPrefix("VmHWM:") { m.peak = kilobytes(line) * 1024 }
        }
        return m
    }

    /// Sets VmHWM back to the current RSS (`5` into /proc/self/clear_refs), so a phase's own peak can be read.
    @discardableResult
    static func resetPeak() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    /// User plus system CPU of another process (a child), from /proc/PID/stat, in clock ticks (10 ms here).
    static func cpuSeconds(pid: pid_t) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Gives freed heap pages back to the system (glibc's malloc_trim, looked up at run time: the Glibc module
    /// does not export it), so a later RSS reading is not inflated by memory the process already let go of.
    static func trimHeap() {
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }

    private static func seconds(_ t: timeval) -> Double {
        Double(t.tv_sec) + Double(t.tv_usec) / 1e6
    }

    private static func kilobytes(_ line: Substring) -> Int {
        Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }
}
