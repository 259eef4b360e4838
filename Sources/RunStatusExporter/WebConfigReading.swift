import Configuration
import Foundation
import Glibc
import Serving

/// One look at the web config and the files it names: the parsed config, and the stamps and digest of the bytes it
/// was parsed from. Each stamp is taken before its file is read, and the certificate, key and CA are read here
/// before the TLS context reads them again, so a write after this look always shows as a change at the next check.
struct WebConfigReading: Sendable {
    let parsed: Result<WebConfig, ConfigError>
    /// The web config, then the files it names (or, when it does not parse, `fallbackFiles`' named files).
    let files: [String]
    let stamps: [WebConfigWatch.Stamp]
    let digest: [UInt8]

    /// Blocking I/O: at start, or on the watcher's own queue.
    init(path: String, fallbackFiles: [String]) {
        let webStamp = Self.stamp(path)
        let webBytes = Self.read(path)
        do throws(ConfigError) {
            // Unreadable: the loader's own read says why (missing, a directory, no permission).
            let bytes: [UInt8]
            if let webBytes { bytes = webBytes } else { bytes = try ConfigLoader.readConfigFile(path) }
            parsed = .success(try WebConfig.parse(bytes, file: path))
        } catch {
            parsed = .failure(error)
        }
        let named = Array(((try? parsed.get()).map { WebConfig.watchedFiles(path: path, config: $0) } ?? fallbackFiles)
            .dropFirst())
        files = [path] + named
        stamps = [webStamp] + named.map(Self.stamp)
        digest = WebConfigWatch.digest([webBytes] + named.map(Self.read))
    }

    static func stamp(_ path: String) -> WebConfigWatch.Stamp {
        var info = stat()
        guard stat(path, &info) == 0 else { return .init(path: path, exists: false) }
        return .init(path: path, exists: true, inode: UInt64(info.st_ino), size: Int64(info.st_size),
                     modifiedNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }

    static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map(Array.init)
    }
}
