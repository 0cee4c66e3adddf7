// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "../OGInference.sol";
import "../SolidML.sol";

/// @title Two models in one transaction: the second takes the first one's output.
/// @notice scorer: `features` [1, 4] → `score` [1, 1]; adjuster: `score` [1, 1] → `adjusted` [1, 1].
///         The second call goes through SolidML, the bytes-in/bytes-out library.
contract ChainedRiskScorer {
    string public scorerCID;
    string public adjusterCID;
    mapping(address => TensorLib.Number) public adjusted;

    event Adjusted(address indexed account, int128 score, int128 scoreDecimals, int128 adjusted, int128 adjustedDecimals);

    constructor(string memory scorer, string memory adjuster) {
        scorerCID = scorer;
        adjusterCID = adjuster;
    }

    function score(address account, int128[] calldata features, int128 decimals) external {
        ModelInput memory first;
        first.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
        first.numbers[0] = TensorLib.row("features", features, decimals);
        ModelOutput memory scored = OGInference(OG_INFERENCE_ADDRESS).runModelInference(
            ModelInferenceRequest(ModelInferenceMode.VANILLA, scorerCID, first)
        );
        // Until the first result is known the mempool simulates with an empty output; the second
        // request is made on the next simulation round, once the first output exists.
        if (scored.is_simulation_result) return;

        ModelInput memory second;
        second.numbers = new TensorLib.MultiDimensionalNumberTensor[](1);
        second.numbers[0] = scored.numbers[0];
        second.numbers[0].name = "score";
        bytes memory raw = SolidML.infer(
            SolidML.InferenceRequest(adjusterCID, abi.encode(second), SolidML.VerificationMethod.Vanilla)
        );
        ModelOutput memory result = abi.decode(raw, (ModelOutput));
        if (result.is_simulation_result) return;

        TensorLib.Number memory s = scored.numbers[0].values[0];
        TensorLib.Number memory a = result.numbers[0].values[0];
        adjusted[account] = a;
        emit Adjusted(account, s.value, s.decimals, a.value, a.decimals);
    }
}
