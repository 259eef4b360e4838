import Configuration
import Logging
import RunStatusModel
import RunStore

/// Version facts for `--version` and `runstatus_build_info`.
public enum BuildInfo {
    public static let version = "0.1.0"
    /// Set at build time by the Dockerfile / release (`RUNSTATUS_REVISION`); "unknown" in a plain build.
    public static let revision = "unknown"
    public static let swiftVersion: String = {
        #if compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #elseif compiler(>=6.1)
        "6.1"
        #else
        "6.0"
        #endif
    }()
}
