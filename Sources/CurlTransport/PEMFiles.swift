import Foundation
import Glibc

/// The bytes of the `tls_config` files, read again when a file changes. Used by the curl thread alone (a blocking
/// read there holds up no Swift task). The stamp is inode, size and modification time: an atomic rename (how
/// Kubernetes and cert-manager rotate secrets) and an in-place rewrite both change it.
final class PEMFiles {
    private struct Stamp: Equatable {
        var device: UInt, inode: UInt, size: Int, seconds: Int, nanoseconds: Int
    }

    struct Unusable: Error { var why: String }

    private var cache: [String: (stamp: Stamp, bytes: [UInt8])] = [:]

    /// The file's current bytes, or why it cannot be read (no path in the text: the caller names the key).
    func bytes(_ path: String) -> Result<[UInt8], Unusable> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(Unusable(why: "cannot be read (\(String(cString: strerror(errno))))")) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure(Unusable(why: "is not a regular file")) }
        let stamp = Stamp(device: UInt(info.st_dev), inode: UInt(info.st_ino), size: Int(info.st_size),
                          seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec))
        if let kept = cache[path], kept.stamp == stamp { return .success(kept.bytes) }
        guard let data = FileManager.default.contents(atPath: path) else { return .failure(Unusable(why: "cannot be read")) }
        let bytes = Array(data)
        cache[path] = (stamp, bytes)
        return .success(bytes)
    }
}
