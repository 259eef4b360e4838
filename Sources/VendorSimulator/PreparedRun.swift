/// A scenario run with everything that does not depend on the clock worked out once: absolute step times,
/// phases, lookup key, a stable seed for derived descriptive fields.
struct PreparedRun: Sendable {
    struct Step: Sendable {
        let at: Double
        let state: String
        let phase: RunPhase
    }

    let vendor: SimulatedVendor
    let id: String
    let key: String
    let created: Double
    let steps: [Step]
    let fault: SimulatorFault?
    let faultWindow: Range<Double>?
    let details: [String: String]
    /// FNV-1a of the id: derived counters and names stay the same across restarts and machines.
    let seed: UInt64
    /// Sequentum's agent and run numbers; 0 for other vendors.
    let agentID: Int64
    let runNumber: Int64

    init(_ run: SimulatedRun, vendor: SimulatedVendor, key: String, scenarioStart: Double) {
        precondition(!run.script.isEmpty, "simulated \(run.vendor) run \(run.id) has an empty script")
        precondition(zip(run.script, run.script.dropFirst()).allSatisfy { $0.after <= $1.after },
                     "simulated \(run.vendor) run \(run.id): script steps are not in time order")
        self.vendor = vendor
        id = run.id
        self.key = key
        created = scenarioStart + run.startOffset
        var steps = run.script.map { Step(at: scenarioStart + run.startOffset + max(0, $0.after), state: $0.state,
                                          phase: vendor.phase(of: $0.state)) }
        // The first state is what the vendor reports from creation on.
        steps[0] = Step(at: created, state: steps[0].state, phase: steps[0].phase)
        self.steps = steps
        fault = run.fault
        faultWindow = run.faultWindow.map { (scenarioStart + $0.lowerBound)..<(scenarioStart + $0.upperBound) }
        details = run.details
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in run.id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        seed = hash
        if vendor == .sequentum {
            let parts = key.split(separator: "/")
            agentID = Int64(parts[0]) ?? 0
            runNumber = Int64(parts[1]) ?? 0
        } else {
            agentID = 0
            runNumber = 0
        }
    }

    /// The fault in force at `now`, if any.
    func fault(at now: Double) -> SimulatorFault? {
        guard let fault else { return nil }
        if let faultWindow, !faultWindow.contains(now) { return nil }
        return fault
    }

    /// What the vendor reports at `now`; nil before the run exists.
    func snapshot(at now: Double) -> RunSnapshot? {
        guard now >= created else { return nil }
        var current = 0
        while current + 1 < steps.count && steps[current + 1].at <= now { current += 1 }
        let started = steps[...current].first(where: { $0.phase != .waiting })?.at
        var finished: Double?
        if steps[current].phase == .finished {
            var first = current
            while first > 0 && steps[first - 1].phase == .finished { first -= 1 }
            finished = steps[first].at
        }
        var state = steps[current].state
        if case .unknownStatus(let value)? = fault(at: now) { state = value }
        return RunSnapshot(state: state, phase: steps[current].phase, created: created, startedAt: started,
                           finishedAt: finished, now: now)
    }
}

/// One run as of one instant.
struct RunSnapshot: Sendable {
    /// As reported, after any `unknownStatus` fault.
    let state: String
    /// Of the scripted state.
    let phase: RunPhase
    let created: Double
    let startedAt: Double?
    let finishedAt: Double?
    let now: Double
}
