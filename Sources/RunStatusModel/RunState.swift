/// The normalized state every vendor value maps to; each adapter's `states` table says which of its values map where
/// (the README's "Normalized states" table shows them side by side).
public enum RunState: String, CaseIterable, Sendable, Hashable {
    case queued, running, paused, succeeded, failed, cancelled, unknown

    /// A terminal run is polled on the slower `terminal_poll_interval` (it may still restart).
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .cancelled: true
        case .queued, .running, .paused, .unknown: false
        }
    }
}
