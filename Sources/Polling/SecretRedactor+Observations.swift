import Configuration
import Logging
import RunStatusModel
import RunStore

/// What a vendor says can become a label (`vendor_state`, a discovered `run_id`): hidden before it is stored.
extension SecretRedactor {
    /// The observation with a vendor state that held a secret replaced by `[redacted]`.
    public func redact(_ observation: RunObservation) -> RunObservation {
        var o = observation
        o.vendorState = redact(o.vendorState)
        return o
    }

    /// Listed runs with their states redacted; a run whose id holds a secret is left out (its id would be a label,
    /// and polling a redacted id would only fail).
    public func redact(_ runs: [ListedRun]) -> [ListedRun] {
        guard count > 0 else { return runs }
        return runs.compactMap { run in
            guard !reveals(run.runID) else { return nil }
            var r = run
            r.observation = run.observation.map(redact)
            return r
        }
    }
}
