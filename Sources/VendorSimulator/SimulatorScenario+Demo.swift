extension SimulatorScenario {
    /// For `--demo`: per vendor a few runs that move through their states over the next minutes, one that fails
    /// within 30 s of `start`, some already finished or failed at `start`, and one RSA id the server answers 404.
    /// Offsets carry fractions so reported times do too, as real ones do.
    public static func demo(startingAt start: Double) -> SimulatorScenario {
        func run(_ vendor: String, _ id: String, _ offset: Double, _ script: [(after: Double, state: String)],
                 fault: SimulatorFault? = nil) -> SimulatedRun {
            SimulatedRun(vendor: vendor, id: id, startOffset: offset, script: script, fault: fault)
        }
        let runs = [
            // RSA: collection runs, numeric ids.
            run("rsa", "1001", -12.4, [(0, "New"), (20, "Running"), (150, "Completed")]),
            run("rsa", "1002", -60.7, [(0, "Running"), (85, "Aborted")]),
            run("rsa", "1003", -3725.2, [(0, "Running"), (300, "Completed")]),
            run("rsa", "1004", -1800.3, [(0, "Running"), (240, "Aborted")]),
            run("rsa", "1005", -30, [(0, "Running")], fault: .httpError(404)),
            // Sequentum: agent/run integers; 90002 fails, is restarted in place and completes.
            run("sequentum", "4711/90001", -5.3, [(0, "4"), (15, "3"), (25, "1"), (170, "2"), (200, "10")]),
            run("sequentum", "4711/90002", -40.2, [(0, "1"), (150, "6"), (190, "1"), (260, "9")]),
            run("sequentum", "4711/89997", -7200.6, [(0, "1"), (612, "9")]),
            run("sequentum", "4712/88410", -5400.1, [(0, "3"), (20, "1"), (480, "7")]),
            run("sequentum", "4712/90003", -2.2, [(0, "4"), (40, "1"), (220, "8")]),
            // Instabase: one pauses for human review on the way.
            run("instabase", "3f2b8c1e-6d4a-4e9b-9a27-5c1d0e8f7a63", -3.1, [(0, "RUNNING"), (120, "COMPLETE")]),
            run("instabase", "a81c5d2f-0b7e-4c3a-8f16-2e9d4b6a1c05", -20.9,
                [(0, "RUNNING"), (40, "STOPPED_AT_CHECKPOINT"), (130, "RUNNING"), (210, "COMPLETE")]),
            run("instabase", "c6e09a47-91d3-4b8f-a2c5-7f3e1d6b9048", -10.4, [(0, "RUNNING"), (95, "FAILED")]),
            run("instabase", "5d7f3a19-2c8e-4f60-b1d4-9e6a0c3b7f21", -3600.5, [(0, "RUNNING"), (400, "CANCELLED")]),
            run("instabase", "e4b2c8d1-7a3f-4d95-8c06-1b9f5e2a3d74", -900.8, [(0, "RUNNING"), (300, "COMPLETE")]),
            // WES: Cavatica tasks.
            run("wes", "40a9c1a6-9263-4982-a574-e494f7c4b621", -1.7,
                [(0, "QUEUED"), (20, "INITIALIZING"), (45, "RUNNING"), (200, "COMPLETE")]),
            run("wes", "7b3e9f12-4c6d-4a81-b5e2-0d8c1f6a9e37", -30.2, [(0, "RUNNING"), (150, "EXECUTOR_ERROR")]),
            run("wes", "d2f8a6c4-1e9b-4735-9c0a-6b4e2d8f1a59", -5000.8, [(0, "RUNNING"), (1800, "COMPLETE")]),
            run("wes", "91c4e7b2-5a3d-4f08-8e6c-3d1b9a7f2c40", -4000.4, [(0, "RUNNING"), (60, "SYSTEM_ERROR")]),
            run("wes", "f06b3d9e-8c2a-4e17-a4f9-5e7c0b2d6a18", -8.8, [(0, "RUNNING"), (60, "CANCELING"), (75, "CANCELED")]),
            // Nexio: 4c1e… fails about 25 s after the start.
            run("nexio", "990d0fae-dc17-43af-aaed-ff8b580c17ab", -2.6, [(0, "queued"), (12, "processing"), (100, "completed")]),
            SimulatedRun(vendor: "nexio", id: "2a7f4c9e-3b1d-4e68-9f05-8c2e6a1d4b93", startOffset: -25.3,
                         script: [(0, "processing"), (140, "degraded")], details: ["engine_version": "1.3"]),
            run("nexio", "4c1e8b3a-6f2d-4a97-b0c5-1e9d7f3a2b68", -14.9, [(0, "processing"), (40, "failed")]),
            run("nexio", "b5d9e2f7-0a4c-4b31-8d6e-7f2a9c1e5b04", -2400.2, [(0, "processing"), (95, "completed")]),
            run("nexio", "6e0a3c8f-9d5b-4172-a3e8-4b6f1d0c9a25", -1200.6, [(0, "processing"), (30, "failed")]),
        ]
        return SimulatorScenario(start: start, runs: runs, credentials: [
            "rsa": "demo-rsa-token",
            "sequentum": "demo-sequentum-key",
            "instabase": "demo-instabase-token",
            "wes": "demo-wes-token",
            "nexio": "nx_test_demo4f8a2c71e9b3",
        ])
    }
}
