import Testing
@testable import Polling

@Suite struct ReadinessTests {
    @Test func readyOnceEveryTargetsFirstCycleEnded() {
        var r = Readiness()
        r.expectFirstCycles(of: ["a", "b"])
        do { let got = r.cycleDone("a"); #expect(!got) }
        // A second cycle of the same target does not count twice.
        do { let got = r.cycleDone("a"); #expect(!got) }
        do { let got = r.cycleDone("b"); #expect(got) }
        // Said once only.
        do { let got = r.cycleDone("b"); #expect(!got) }
        #expect(r.pending.isEmpty)
    }

    @Test func aReloadBeforeReadinessAwaitsTheNewTargets() {
        var r = Readiness()
        r.expectFirstCycles(of: ["a", "b"])
        do { let got = r.cycleDone("a"); #expect(!got) }
        r.expectFirstCycles(of: ["b", "c"])
        do { let got = r.cycleDone("a"); #expect(!got) }
        do { let got = r.cycleDone("b"); #expect(!got) }
        do { let got = r.cycleDone("c"); #expect(got) }
    }

    @Test func nothingAwaitedNeverSaysReady() {
        var r = Readiness()
        do { let got = r.cycleDone("a"); #expect(!got) }
    }
}
