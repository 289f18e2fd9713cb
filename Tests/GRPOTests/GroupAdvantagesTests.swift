import Testing
@testable import GRPO

@Suite struct GroupAdvantagesTests {
    @Test func groupStdCentresAndScalesEachGroup() throws {
        // Group "a": 1, 0, 1, 0 → mean ½, population std ½; group "b": 2, 2 → std 0.
        let batch = try GroupAdvantages.compute(rewards: [1, 0, 1, 0, 2, 2], groups: ["a", "a", "a", "a", "b", "b"],
                                                options: AdvantageOptions(scale: .group))
        let a = 0.5 / (0.5 + 1e-4)
        #expect(batch.advantages == [a, -a, a, -a, 0, 0])
        #expect(batch.zeroStdRatio == 0.5)
        #expect(batch.rewardStdMean == 0.25)
        #expect(batch.groups == 2)
        #expect(batch.isTrainable(0) && !batch.isTrainable(4))
    }

    @Test func globalStdDividesByTheStdOfAllRewards() throws {
        let rewards = [1.0, 0, 3, 5]
        let batch = try GroupAdvantages.compute(rewards: rewards, groups: [0, 0, 1, 1])
        // Mean 2.25; deviations −1.25, −2.25, 0.75, 2.75; variance (1.5625 + 5.0625 + 0.5625 + 7.5625)/4 = 3.6875.
        let std = 3.6875.squareRoot()
        #expect(abs(batch.rewardStd - std) < 1e-15)
        let expected = [0.5, -0.5, -1, 1].map { $0 / (std + 1e-4) }
        for (x, y) in zip(batch.advantages, expected) { #expect(abs(x - y) < 1e-12) }
        #expect(batch.rewardMean == 2.25)
    }

    @Test func groupsFollowKeysNotPositions() throws {
        let a = try GroupAdvantages.compute(rewards: [1, 5, 0, 7], groups: ["x", "y", "x", "y"],
                                            options: AdvantageOptions(scale: .group))
        let b = try GroupAdvantages.compute(rewards: [1, 0, 5, 7], groups: ["x", "x", "y", "y"],
                                            options: AdvantageOptions(scale: .group))
        #expect(a.advantages == [b.advantages[0], b.advantages[2], b.advantages[1], b.advantages[3]])
    }

    @Test func badInputIsAnErrorNamingTheProblem() {
        #expect(throws: GRPOError("reward of sample 1 is nan; rewards must be finite")) {
            try GroupAdvantages.compute(rewards: [0, .nan], groups: [0, 0])
        }
        #expect(throws: GRPOError("2 rewards but 1 group keys")) {
            try GroupAdvantages.compute(rewards: [0, 1], groups: [0])
        }
        #expect(throws: GRPOError.self) { try GroupAdvantages.compute(rewards: [], groups: [Int]()) }
    }
}
