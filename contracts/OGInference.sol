// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title Tensors as the OpenGradient inference precompile exchanges them.
/// @notice Field names, order and types are OpenGradient's, so contracts written for
///         OpenGradient compile and run unchanged on PIPE.
library TensorLib {
    /// @notice A fixed-point number: value × 10^-decimals (decimals 0…18).
    struct Number {
        int128 value;
        int128 decimals;
    }

    /// @notice A numeric tensor, values flattened row-major; `shape` restores them.
    struct MultiDimensionalNumberTensor {
        string name;
        Number[] values;
        uint32[] shape;
    }

    struct StringTensor {
        string name;
        string[] values;
    }

    struct JsonScalar {
        string name;
        string value;
    }

    /// @notice A [1, n] tensor from n values that share `decimals`.
    function row(string memory name, int128[] memory values, int128 decimals)
        internal
        pure
        returns (MultiDimensionalNumberTensor memory tensor)
    {
        Number[] memory numbers = new Number[](values.length);
        for (uint256 i = 0; i < values.length; i++) {
            numbers[i] = Number(values[i], decimals);
        }
        uint32[] memory shape = new uint32[](2);
        shape[0] = 1;
        shape[1] = uint32(values.length);
        tensor = MultiDimensionalNumberTensor(name, numbers, shape);
    }
}

/// @notice How an inference is verified: none, an EZKL proof, or a TEE attestation.
enum ModelInferenceMode {
    VANILLA,
    ZK,
    TEE
}

struct ModelInput {
    TensorLib.MultiDimensionalNumberTensor[] numbers;
    TensorLib.StringTensor[] strings;
}

struct ModelInferenceRequest {
    ModelInferenceMode mode;
    string modelCID;
    ModelInput input;
}

/// @notice `is_simulation_result` is true while the transaction is being simulated
///         (the output is then empty); contracts should tolerate it.
struct ModelOutput {
    TensorLib.MultiDimensionalNumberTensor[] numbers;
    TensorLib.StringTensor[] strings;
    TensorLib.JsonScalar[] jsons;
    bool is_simulation_result;
}

/// @notice The inference precompile at 0x00000000000000000000000000000000000000F4.
interface OGInference {
    /// @notice Emitted by the precompile for every inference it serves.
    event ModelInferenceEvent(string inferenceID, uint8 mode, string modelCID);

    function runModelInference(ModelInferenceRequest memory request) external returns (ModelOutput memory);
}

address constant OG_INFERENCE_ADDRESS = 0x00000000000000000000000000000000000000F4;
