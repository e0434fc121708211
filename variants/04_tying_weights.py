"""Other answers to lesson 4's exercises: plausible wrong ones, and right ones in other styles.

Graded by ``aecourse variants 04_tying_weights`` (see aecourse/variants.py).
"""
# ruff: noqa: E501  (the answers are student code in strings, with students' line lengths)

# ---------------------------------------------------------------------------- exercise 1

EX1 = "ex1_dense_transpose"


def ex1(init="self.dense = dense\n        self.activation = keras.activations.get(activation)",
        build='self.bias = self.add_weight(name="bias", shape=(self.dense.kernel.shape[0],), '
              'initializer="zeros")',
        call="z = keras.ops.matmul(inputs, keras.ops.transpose(self.dense.kernel))\n"
             "        return self.activation(z + self.bias)",
        signature="def __init__(self, dense, activation=None, **kwargs):"):
    return f'''
class DenseTranspose(keras.layers.Layer):
    {signature}
        super().__init__(**kwargs)
        {init}

    def build(self, input_shape):
        {build}

    def call(self, inputs):
        {call}
'''


# ---------------------------------------------------------------------------- exercise 2

EX2 = "ex2_build_tied_autoencoder"


def ex2(encoder_last='"relu"', activations='["relu"] * (len(dense_layers) - 1) + [None]',
        decoder_dense="dense_layers[::-1]", sizes="layer_sizes"):
    return f'''
def build_tied_autoencoder(layer_sizes=(100, 30)):
    sizes = list({sizes})
    dense_layers = [keras.layers.Dense(n, activation="relu") for n in sizes[:-1]]
    dense_layers.append(keras.layers.Dense(sizes[-1], activation={encoder_last}))
    encoder = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), *dense_layers])
    activations = {activations}
    decoder = keras.Sequential(
        [keras.Input((sizes[-1],)),
         *[DenseTranspose(dense, activation=activation)
           for dense, activation in zip({decoder_dense}, activations)],
         keras.layers.Reshape((28, 28))])
    return encoder, decoder, keras.Sequential([encoder, decoder])
'''


# ---------------------------------------------------------------------------- exercise 3

EX3 = "ex3_count_params"


def ex3(decoder_cost="a if tied else b * a + a", encoder_cost="a * b + b", inputs="n_inputs"):
    return f'''
def count_autoencoder_params(layer_sizes, n_inputs=784, tied=True):
    sizes = [{inputs}, *layer_sizes]
    total = 0
    for a, b in zip(sizes[:-1], sizes[1:]):
        total += {encoder_cost}
        total += {decoder_cost}
    return int(total)
'''


# ---------------------------------------------------------------------------- exercise 4

EX4 = "ex4_tied_autoencoder"


def ex4(init="self.encoder, self.decoder, _ = build_tied_autoencoder(self.layer_sizes)",
        config="config = super().get_config()\n"
               "        config.update(layer_sizes=list(self.layer_sizes))\n"
               "        return config"):
    return f'''
@keras.saving.register_keras_serializable(package="aecourse")
class TiedAutoencoder(keras.Model):
    def __init__(self, layer_sizes=(100, 30), **kwargs):
        super().__init__(**kwargs)
        self.layer_sizes = tuple(int(n) for n in layer_sizes)
        {init}
        self(keras.ops.zeros((1, 28, 28)))  # builds every layer: weights can be loaded into it

    def call(self, inputs):
        return self.decoder(self.encoder(inputs))

    def get_config(self):
        {config}
'''


WRONG = {
    # exercise 1 ------------------------------------------------------------------------
    "activation_ignored": {
        "why": "the activation is stored but never applied",
        "cells": {EX1: ex1(call="return keras.ops.matmul(inputs, keras.ops.transpose(self.dense.kernel)) + self.bias")},
        "caught_by": ["test_ex1_activation"]},
    "activation_before_bias": {
        "why": "the bias added after the activation: activation(x W^T) + b",
        "cells": {EX1: ex1(call="z = keras.ops.matmul(inputs, keras.ops.transpose(self.dense.kernel))\n"
                                "        return self.activation(z) + self.bias")},
        "caught_by": ["test_ex1_activation"]},
    "relu_by_default": {
        "why": "activation defaults to relu instead of None (linear)",
        "cells": {EX1: ex1(signature='def __init__(self, dense, activation="relu", **kwargs):')},
        "caught_by": ["test_ex1_values", "test_ex1_activation"]},
    "dense_activation_reused": {
        "why": "the Dense layer's own activation used when none is given",
        "cells": {EX1: ex1(init="self.dense = dense\n"
                                "        self.activation = keras.activations.get(activation or dense.activation)")},
        "caught_by": ["test_ex1_values"]},
    "kernel_copied_into_variable": {
        "why": "a new tf.Variable holding the transposed kernel: a copy, not a tie",
        "cells": {EX1: ex1(build="self.kernel_t = tf.Variable(tf.transpose(self.dense.kernel))\n"
                                 "        self.bias = self.add_weight(name=\"bias\", shape=(self.dense.kernel.shape[0],), initializer=\"zeros\")",
                           call="return self.activation(tf.matmul(inputs, self.kernel_t) + self.bias)")},
        "caught_by": ["test_ex1_shares_kernel"]},
    "get_weights_at_call": {
        "why": "dense.get_weights()[0] read at call time: the right values, but no gradient flows "
               "to the kernel through the decoder",
        "cells": {EX1: ex1(call="z = keras.ops.matmul(inputs, self.dense.get_weights()[0].T)\n"
                                "        return self.activation(z + self.bias)")},
        "caught_by": ["test_ex1_shares_kernel"]},
    "bias_per_unit": {
        "why": "the bias sized by dense.units (its outputs) instead of its inputs",
        "cells": {EX1: ex1(build='self.bias = self.add_weight(name="bias", shape=(self.dense.units,), initializer="zeros")')},
        "caught_by": ["test_ex1_shape", "test_ex1_values", "test_ex1_owns_only_bias"]},
    "bias_2d": {
        "why": "a bias of shape (1, n_in): right outputs, wrong variable",
        "cells": {EX1: ex1(build='self.bias = self.add_weight(name="bias", shape=(1, self.dense.kernel.shape[0]), initializer="zeros")')},
        "caught_by": ["test_ex1_owns_only_bias"]},
    "no_bias": {
        "why": "no bias of its own",
        "cells": {EX1: ex1(build="pass",
                           call="return self.activation(keras.ops.matmul(inputs, keras.ops.transpose(self.dense.kernel)))")},
        "caught_by": ["test_ex1_values", "test_ex1_owns_only_bias"]},
    "bias_not_trainable": {
        "why": "the bias created with trainable=False",
        "cells": {EX1: ex1(build='self.bias = self.add_weight(name="bias", shape=(self.dense.kernel.shape[0],), '
                                 'initializer="zeros", trainable=False)')},
        "caught_by": ["test_ex1_owns_only_bias"]},
    # exercise 2 ------------------------------------------------------------------------
    "relu_output": {
        "why": "relu on the last DenseTranspose too: the output cannot be negative",
        "cells": {EX2: ex2(activations='["relu"] * len(dense_layers)')},
        "caught_by": ["test_ex2_decoder_shares_kernels"]},
    "activations_reversed": {
        "why": "the linear layer first and relu last in the decoder",
        "cells": {EX2: ex2(activations='[None] + ["relu"] * (len(dense_layers) - 1)')},
        "caught_by": ["test_ex2_decoder_shares_kernels"]},
    "linear_codings": {
        "why": "no relu on the encoder's last Dense layer",
        "cells": {EX2: ex2(encoder_last="None")},
        "caught_by": ["test_ex2_shapes"]},
    "sizes_ignored": {
        "why": "784-100-30 hard-coded: layer_sizes is ignored",
        "cells": {EX2: ex2(sizes="(100, 30)")},
        "caught_by": ["test_ex2_shapes", "test_ex2_param_count"]},
    "untied_decoder": {
        "why": "ordinary Dense layers in the decoder: an untied autoencoder",
        "cells": {EX2: '''
def build_tied_autoencoder(layer_sizes=(100, 30)):
    dense_layers = [keras.layers.Dense(n, activation="relu") for n in layer_sizes]
    encoder = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), *dense_layers])
    back = [*layer_sizes[-2::-1], 784]
    decoder = keras.Sequential(
        [keras.Input((layer_sizes[-1],)),
         *[keras.layers.Dense(n, activation="relu" if i < len(back) - 1 else None) for i, n in enumerate(back)],
         keras.layers.Reshape((28, 28))])
    return encoder, decoder, keras.Sequential([encoder, decoder])
'''},
        "caught_by": ["test_ex2_param_count", "test_ex2_decoder_shares_kernels"]},
    "decoder_tied_to_other_layers": {
        "why": "the DenseTranspose layers wrap new Dense layers, not the encoder's",
        "cells": {EX2: '''
def build_tied_autoencoder(layer_sizes=(100, 30)):
    sizes = [784, *layer_sizes]
    encoder = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                *[keras.layers.Dense(n, activation="relu") for n in layer_sizes]])
    twins = [keras.layers.Dense(b, activation="relu") for b in sizes[1:]]
    for twin, a in zip(twins, sizes[:-1]):
        twin.build((None, a))
    activations = ["relu"] * (len(twins) - 1) + [None]
    decoder = keras.Sequential(
        [keras.Input((layer_sizes[-1],)),
         *[DenseTranspose(d, activation=act) for d, act in zip(twins[::-1], activations)],
         keras.layers.Reshape((28, 28))])
    return encoder, decoder, keras.Sequential([encoder, decoder])
'''},
        "caught_by": ["test_ex2_param_count", "test_ex2_decoder_shares_kernels"]},
    "layers_built_once": {
        "why": "the Dense layers created once, outside the function: every model shares them",
        "cells": {EX2: '''
_dense_layers = [keras.layers.Dense(100, activation="relu"), keras.layers.Dense(30, activation="relu")]


def build_tied_autoencoder(layer_sizes=(100, 30)):
    dense_layers = _dense_layers if tuple(layer_sizes) == (100, 30) else [
        keras.layers.Dense(n, activation="relu") for n in layer_sizes]
    encoder = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), *dense_layers])
    activations = ["relu"] * (len(dense_layers) - 1) + [None]
    decoder = keras.Sequential(
        [keras.Input((layer_sizes[-1],)),
         *[DenseTranspose(d, activation=a) for d, a in zip(dense_layers[::-1], activations)],
         keras.layers.Reshape((28, 28))])
    return encoder, decoder, keras.Sequential([encoder, decoder])
'''},
        "caught_by": ["test_ex2_shapes"]},
    # exercise 3 ------------------------------------------------------------------------
    "tied_bias_wrong_side": {
        "why": "the tied decoder layer charged b (the encoder's units) instead of a for its bias",
        "cells": {EX3: ex3(decoder_cost="b if tied else b * a + a")},
        "caught_by": ["test_ex3_tied"]},
    "no_biases": {
        "why": "kernels only, biases forgotten",
        "cells": {EX3: ex3(encoder_cost="a * b", decoder_cost="0 if tied else b * a")},
        "caught_by": ["test_ex3_tied", "test_ex3_untied"]},
    "untied_decoder_mirrored": {
        "why": "the untied decoder layer charged a * b + b, the encoder's cost again",
        "cells": {EX3: ex3(decoder_cost="a if tied else a * b + b")},
        "caught_by": ["test_ex3_untied"]},
    "tied_ignored": {
        "why": "always the tied count",
        "cells": {EX3: ex3(decoder_cost="a")},
        "caught_by": ["test_ex3_untied"]},
    "inputs_ignored": {
        "why": "784 inputs hard-coded",
        "cells": {EX3: ex3(inputs="784")},
        "caught_by": ["test_ex3_tied", "test_ex3_untied"]},
    # exercise 4 ------------------------------------------------------------------------
    "two_builds": {
        "why": "encoder and decoder from two calls: the decoder is tied to another encoder",
        "cells": {EX4: ex4(init="self.encoder = build_tied_autoencoder(self.layer_sizes)[0]\n"
                                "        self.decoder = build_tied_autoencoder(self.layer_sizes)[1]")},
        "caught_by": ["test_ex4_config", "test_ex4_tie_survives_loading"]},
    "sizes_ignored_in_init": {
        "why": "build_tied_autoencoder() with its default sizes: layer_sizes is ignored",
        "cells": {EX4: ex4(init="self.encoder, self.decoder, _ = build_tied_autoencoder()")},
        "caught_by": ["test_ex4_config", "test_ex4_round_trip"]},
    "config_without_sizes": {
        "why": "get_config without layer_sizes: loading rebuilds the default 100-30 model",
        "cells": {EX4: ex4(config="return super().get_config()")},
        "caught_by": ["test_ex4_config", "test_ex4_round_trip"]},
    "config_without_base": {
        "why": "get_config returns only layer_sizes: the model's name is lost",
        "cells": {EX4: ex4(config='return {"layer_sizes": list(self.layer_sizes)}')},
        "caught_by": ["test_ex4_config"]},
}

RIGHT = {
    "textbook_tf_keras": {
        "why": "the textbook's code (Hands-On ML 3rd ed., ch. 17) in Keras 3: tf.keras, "
               "self.dense.weights[0] and tf.matmul(..., transpose_b=True), super().build(), "
               "models without any Input that are built on their first call",
        "cells": {EX1: '''
class DenseTranspose(tf.keras.layers.Layer):
    def __init__(self, dense, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.dense = dense
        self.activation = tf.keras.activations.get(activation)

    def build(self, batch_input_shape):
        self.biases = self.add_weight(name="bias", shape=[self.dense.kernel.shape[0]],
                                      initializer="zeros")
        super().build(batch_input_shape)

    def call(self, inputs):
        Z = tf.matmul(inputs, self.dense.weights[0], transpose_b=True)
        return self.activation(Z + self.biases)
''',
                  EX2: '''
def build_tied_autoencoder(layer_sizes=(100, 30)):
    dense_layers = [tf.keras.layers.Dense(n, activation="relu") for n in layer_sizes]
    tied_encoder = tf.keras.Sequential([tf.keras.layers.Flatten(), *dense_layers])
    transposed = [DenseTranspose(dense, activation="relu") for dense in dense_layers[:0:-1]]
    tied_decoder = tf.keras.Sequential([*transposed, DenseTranspose(dense_layers[0]),
                                        tf.keras.layers.Reshape([28, 28])])
    tied_ae = tf.keras.Sequential([tied_encoder, tied_decoder])
    return tied_encoder, tied_decoder, tied_ae
''',
                  EX3: '''
def count_autoencoder_params(layer_sizes, n_inputs=784, tied=True):
    sizes = [n_inputs] + list(layer_sizes)
    encoder = sum(sizes[i] * sizes[i + 1] + sizes[i + 1] for i in range(len(sizes) - 1))
    decoder_biases = sum(sizes[:-1])
    decoder_kernels = 0 if tied else sum(sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1))
    return encoder + decoder_biases + decoder_kernels
''',
                  EX4: ex4(init="self.encoder, self.decoder, self.autoencoder = build_tied_autoencoder(self.layer_sizes)",
                           config='base_config = super().get_config()\n'
                                  '        return {**base_config, "layer_sizes": self.layer_sizes}')}},
    "kernel_property_and_config": {
        "why": "self.dense.kernel kept as an attribute in build, keras.ops with transpose, the "
               "activation kept by name, a get_config that serialises the Dense layer; the "
               "decoder without an Input; input_shape= on Flatten (Keras 3 warns)",
        "cells": {EX1: '''
class DenseTranspose(keras.layers.Layer):
    def __init__(self, dense, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.dense = dense
        self.activation_name = activation

    def build(self, input_shape):
        self.kernel = self.dense.kernel  # the same variable, not a copy
        n_in = self.kernel.shape[0]
        self.bias = self.add_weight(shape=(n_in,), initializer="zeros", name="bias")

    def call(self, inputs):
        outputs = keras.ops.matmul(inputs, keras.ops.transpose(self.kernel)) + self.bias
        return keras.activations.get(self.activation_name)(outputs)

    def get_config(self):
        return {**super().get_config(), "dense": keras.saving.serialize_keras_object(self.dense),
                "activation": self.activation_name}
''',
                  EX2: '''
def build_tied_autoencoder(layer_sizes=(100, 30)):
    encoder = keras.Sequential([keras.layers.Flatten(input_shape=[28, 28])])
    for n in layer_sizes:
        encoder.add(keras.layers.Dense(n, activation="relu"))
    dense_layers = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Dense)]
    decoder = keras.Sequential()
    for i, dense in enumerate(reversed(dense_layers)):
        decoder.add(DenseTranspose(dense, activation="relu" if i < len(dense_layers) - 1 else None))
    decoder.add(keras.layers.Reshape((28, 28)))
    autoencoder = keras.Sequential([encoder, decoder])
    return encoder, decoder, autoencoder
''',
                  EX4: ex4(init="_, _, autoencoder = build_tied_autoencoder(self.layer_sizes)\n"
                                "        self.encoder, self.decoder = autoencoder.layers")}},
    "functional_api": {
        "why": "a functional encoder, decoder and autoencoder; DenseTranspose written with "
               "activation=None handled by hand",
        "cells": {EX1: '''
class DenseTranspose(keras.layers.Layer):
    def __init__(self, dense, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.dense = dense
        self.activation = activation

    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=self.dense.kernel.shape[:1], initializer="zeros")
        self.built = True

    def call(self, inputs):
        out = tf.matmul(inputs, tf.transpose(self.dense.kernel)) + self.bias
        if self.activation is None:
            return out
        return keras.activations.get(self.activation)(out)
''',
                  EX2: '''
def build_tied_autoencoder(layer_sizes=(100, 30)):
    dense_layers = [keras.layers.Dense(n, activation="relu") for n in layer_sizes]
    images = keras.Input(shape=(28, 28))
    h = keras.layers.Flatten()(images)
    for dense in dense_layers:
        h = dense(h)
    encoder = keras.Model(images, h, name="encoder")
    codings = keras.Input(shape=(layer_sizes[-1],))
    h = codings
    for i, dense in enumerate(dense_layers[::-1]):
        h = DenseTranspose(dense, activation=None if i == len(dense_layers) - 1 else "relu")(h)
    decoder = keras.Model(codings, keras.layers.Reshape((28, 28))(h), name="decoder")
    autoencoder = keras.Model(images, decoder(encoder(images)), name="tied_autoencoder")
    return encoder, decoder, autoencoder
''',
                  EX3: '''
def count_autoencoder_params(layer_sizes, n_inputs=784, tied=True):
    sizes = [n_inputs, *layer_sizes]
    pairs = list(zip(sizes, sizes[1:]))
    encoder = sum(a * b + b for a, b in pairs)
    decoder = sum(a if tied else a * b + a for a, b in pairs)
    return encoder + decoder
'''}},
}
