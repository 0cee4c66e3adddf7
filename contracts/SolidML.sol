// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "./OGInference.sol";

/// @title A thin ML library over the inference precompile: opaque bytes in, bytes out.
/// @notice `input` is `abi.encode(ModelInput)`; the result is `abi.encode(ModelOutput)`.
library SolidML {
    enum VerificationMethod {
        ZKML,
        TEE,
        Vanilla
    }

    struct InferenceRequest {
        string modelCID;
        bytes input;
        VerificationMethod verificationMethod;
    }

    function infer(InferenceRequest memory request) internal returns (bytes memory) {
        ModelInput memory input = abi.decode(request.input, (ModelInput));
        ModelOutput memory output = OGInference(OG_INFERENCE_ADDRESS).runModelInference(
            ModelInferenceRequest(modeOf(request.verificationMethod), request.modelCID, input)
        );
        return abi.encode(output);
    }

    function modeOf(VerificationMethod method) internal pure returns (ModelInferenceMode) {
        if (method == VerificationMethod.ZKML) return ModelInferenceMode.ZK;
        if (method == VerificationMethod.TEE) return ModelInferenceMode.TEE;
        return ModelInferenceMode.VANILLA;
    }
}
