// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "../OGInference.sol";

/// @title Scores an account with an ONNX risk model and stores the score, in one transaction.
/// @notice The model takes `features` float32 [1, 4] and returns `score` float32 [1, 1].
contract RiskScorer {
    struct Score {
        int128 value;
        int128 decimals;
        uint256 blockNumber;
    }

    string public modelCID;
    ModelInferenceMode public mode;
    mapping(address => Score) public scores;

    event ScoreUpdated(address indexed account, int128 value, int128 decimals);

    constructor(string memory cid, ModelInferenceMode inferenceMode) {
        modelCID = cid;
        mode = inferenceMode;
    }

    /// @param features four features, each value × 10^-decimals
    function score(address account, int128[] calldata features, int128 decimals) external returns (int128, int128) {
        ModelInput memory input;
        input.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
        input.numbers[0] = TensorLib.row("features", features, decimals);
        ModelOutput memory output =
            OGInference(OG_INFERENCE_ADDRESS).runModelInference(ModelInferenceRequest(mode, modelCID, input));
        // While the mempool simulates this transaction the output is empty: store nothing.
        if (output.is_simulation_result) return (0, 0);
        TensorLib.Number memory s = output.numbers[0].values[0];
        scores[account] = Score(s.value, s.decimals, block.number);
        emit ScoreUpdated(account, s.value, s.decimals);
        return (s.value, s.decimals);
    }
}
