import Testing
@testable import Training

/// The run identity (issue 30, audit M7): a canonical, versioned form of the weight-shaping fields, so a field a
/// later build adds at its default does not change any existing run's identity.
@Suite struct RunIdentityTests {
    @Test func theDefaultConfigHasAnEmptyCanonicalForm() {
        #expect(RunConfig().canonicalForm == "flowcps.run/2")
    }

    @Test func fieldsThatDoNotShapeTheWeightsAreLeftOut() {
        var c = RunConfig()
        c.name = "another"
        c.eval.every = 7
        c.eval.promptStride = 3
        c.checkpointEvery = 5
        #expect(c.fingerprint == RunConfig().fingerprint)
        c.train.schedule = .constant
        let constant = c.fingerprint
        c.steps = 999
        #expect(c.fingerprint == constant, "steps of a constant-rate run may be extended")
    }

    @Test func everyChangedFieldAppearsOnceByItsPath() {
        var c = RunConfig()
        c.sampler.noise = 0.7
        c.model.threads = 1
        c.group.size = 4
        #expect(c.canonicalForm == "flowcps.run/2\ngroup.size=4\nmodel.threads=1\nsampler.noise=0.7")
        c.sampler.sdeWindow = 2..<5
        #expect(c.canonicalForm.contains("sampler.sdeWindow=Optional(Range(2..<5))") || c.canonicalForm.contains("sampler.sdeWindow=Optional(2..<5)"),
                "\(c.canonicalForm)")
    }

    @Test func rewardListsCountTheirEntries() {
        var two = RunConfig()
        two.rewards = [RewardWeight(name: "geneval", weight: 1), RewardWeight(name: "ocr", weight: 0.5)]
        var one = RunConfig()
        one.rewards = [RewardWeight(name: "geneval", weight: 1)]
        #expect(one.fingerprint == RunConfig().fingerprint)
        #expect(two.fingerprint != one.fingerprint)
        #expect(two.canonicalForm.contains("rewards.count=2") && two.canonicalForm.contains("rewards.1.name=ocr"),
                "\(two.canonicalForm)")
    }

    @Test func distinctConfigsHaveDistinctIdentities() {
        var a = RunConfig(), b = RunConfig()
        a.train.lr = 1e-4
        b.train.lr = 2e-4
        #expect(a.fingerprint != b.fingerprint && a.fingerprint != RunConfig().fingerprint)
        #expect(a.legacyFingerprint != a.fingerprint)
    }
}
