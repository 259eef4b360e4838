import RunStatusModel
import Testing
@testable import Logging
@testable import Polling

/// What a vendor says passes the redactor before it becomes a label.
@Suite struct SecretRedactorObservationTests {
    @Test func vendorStatesAndListedRunsAreRedactedBeforeTheyBecomeLabels() {
        let r = redactor("label-secret-77")
        let obs = RunObservation(state: .unknown, vendorState: "denied label-secret-77", mapped: false)
        #expect(r.redact(obs).vendorState == "denied [redacted]")
        let listed = r.redact([ListedRun(runID: "ok-run", observation: obs), ListedRun(runID: "run-label-secret-77")])
        #expect(listed.map(\.runID) == ["ok-run"])
        #expect(listed[0].observation?.vendorState == "denied [redacted]")
    }

    func redactor(_ secret: String) -> SecretRedactor {
        let r = SecretRedactor()
        r.register(secret)
        return r
    }
}
