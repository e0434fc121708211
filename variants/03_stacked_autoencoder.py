"""Other answers to lesson 3's exercises: plausible wrong ones, and right ones in other styles.

Graded by ``aecourse variants 03_stacked_autoencoder`` (see aecourse/variants.py).
"""
# ruff: noqa: E501  (the answers are student code in strings, with students' line lengths)

ENCODER = "ex1_build_encoder"
DECODER = "ex1_build_decoder"
AUTOENCODER = "ex1_build_autoencoder"
ENCODE = "ex2_encode"
CLASSIFIER = "ex3_build_pretrained_classifier"


def encoder(hidden="relu", codings="relu", n="n_codings"):
    return f'''
def build_encoder(n_codings=30):
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(100, activation={hidden!r}),
        keras.layers.Dense({n}, activation={codings!r}),
    ])
'''


def decoder(hidden="relu", output=None, n="n_codings", reshape=True):
    last = "\n        keras.layers.Reshape((28, 28))," if reshape else ""
    return f'''
def build_decoder(n_codings=30):
    return keras.Sequential([
        keras.Input(shape=({n},)),
        keras.layers.Dense(100, activation={hidden!r}),
        keras.layers.Dense(28 * 28, activation={output!r}),{last}
    ])
'''


def autoencoder(models="encoder, decoder", loss='"mse"', optimizer='"nadam"'):
    return f'''
def build_autoencoder(encoder, decoder):
    autoencoder = keras.Sequential([{models}])
    autoencoder.compile(loss={loss}, optimizer={optimizer})
    return autoencoder
'''


def encode(body):
    return f"def encode(encoder, X, batch_size=256):\n    {body}\n"


def classifier(freeze="encoder.trainable = trainable", base="encoder",
               head='keras.layers.Dense(10, activation="softmax")',
               optimizer="keras.optimizers.Nadam(learning_rate=learning_rate)"):
    return f'''
def build_pretrained_classifier(encoder, trainable=False, learning_rate=1e-3):
    {freeze}
    classifier = keras.Sequential([{base}, {head}])
    classifier.compile(loss="sparse_categorical_crossentropy", optimizer={optimizer},
                       metrics=["accuracy"])
    return classifier
'''


WRONG = {
    # ------------------------------------------------------------ exercise 1a: the encoder
    "encoder_linear_codings": {
        "why": "no activation on the codings layer (codings can be negative)",
        "cells": {ENCODER: encoder(codings=None)},
        "caught_by": ["test_ex1_encoder_relu"]},
    "encoder_sigmoid_codings": {
        "why": "a sigmoid codings layer: positive, but never exactly zero",
        "cells": {ENCODER: encoder(codings="sigmoid")},
        "caught_by": ["test_ex1_encoder_relu"]},
    "encoder_linear_hidden": {
        "why": "ReLU on the codings only; the 100-unit layer left linear",
        "cells": {ENCODER: encoder(hidden=None)},
        "caught_by": ["test_ex1_encoder_relu"]},
    "encoder_fixed_30": {
        "why": "the n_codings argument ignored: always 30 codings",
        "cells": {ENCODER: encoder(n=30)},
        "caught_by": ["test_ex1_encoder_shapes", "test_ex1_encoder_params"]},
    # ------------------------------------------------------------ exercise 1b: the decoder
    "decoder_sigmoid_output": {
        "why": "a sigmoid output layer ('pixels are in [0, 1]') instead of a linear one",
        "cells": {DECODER: decoder(output="sigmoid")},
        "caught_by": ["test_ex1_decoder_linear"]},
    "decoder_linear_hidden": {
        "why": "no activation on the 100-unit layer",
        "cells": {DECODER: decoder(hidden=None)},
        "caught_by": ["test_ex1_decoder_linear"]},
    "decoder_no_reshape": {
        "why": "flat 784-number outputs, not reshaped to 28x28",
        "cells": {DECODER: decoder(reshape=False)},
        "caught_by": ["test_ex1_decoder_shapes"]},
    "decoder_fixed_30": {
        "why": "the n_codings argument ignored: always 30 inputs",
        "cells": {DECODER: decoder(n=30)},
        "caught_by": ["test_ex1_decoder_shapes", "test_ex1_decoder_params"]},
    # ------------------------------------------------------------ exercise 1c: the stack
    "autoencoder_new_models": {
        "why": "builds a new encoder and decoder instead of stacking the given ones",
        "cells": {AUTOENCODER: autoencoder(models="build_encoder(), build_decoder()")},
        "caught_by": ["test_ex1_autoencoder_stack"]},
    "autoencoder_adam": {
        "why": "Adam instead of Nadam (the same first step, different later ones)",
        "cells": {AUTOENCODER: autoencoder(optimizer='"adam"')},
        "caught_by": ["test_ex1_autoencoder_compiled"]},
    "autoencoder_nadam_momentum": {
        "why": "Nadam with beta_1=0.99 ('more momentum'): the first step is the same",
        "cells": {AUTOENCODER: autoencoder(optimizer="keras.optimizers.Nadam(beta_1=0.99)")},
        "caught_by": ["test_ex1_autoencoder_compiled"]},
    "autoencoder_mae": {
        "why": "mean absolute error instead of the MSE",
        "cells": {AUTOENCODER: autoencoder(loss='"mae"')},
        "caught_by": ["test_ex1_autoencoder_compiled"]},
    # ------------------------------------------------------------ exercise 2: encode
    "encode_tensor": {
        "why": "returns encoder(X), a tensor, not a NumPy array",
        "cells": {ENCODE: encode("return encoder(X)")},
        "caught_by": ["test_ex2_encode_shape"]},
    "encode_all_at_once": {
        "why": "one big batch: np.asarray(encoder(X)) ignores batch_size",
        "cells": {ENCODE: encode("return np.asarray(encoder(X))")},
        "caught_by": ["test_ex2_encode_values"]},
    "encode_progress_bar": {
        "why": "predict without verbose=0 prints a progress bar",
        "cells": {ENCODE: encode("return encoder.predict(X, batch_size=batch_size)")},
        "caught_by": ["test_ex2_encode_shape"]},
    "encode_drops_last_batch": {
        "why": "a loop over len(X) // batch_size full batches drops the last, partial batch",
        "cells": {ENCODE: encode(
            "n = max(len(X) // batch_size, 1) * batch_size\n"
            "    return np.concatenate([np.asarray(encoder(X[i:i + batch_size]))\n"
            "                           for i in range(0, n, batch_size)])")},
        "caught_by": ["test_ex2_encode_values"]},
    # ------------------------------------------------------------ exercise 3: the classifier
    "classifier_never_frozen": {
        "why": "the trainable argument ignored: the encoder stays trainable",
        "cells": {CLASSIFIER: classifier(freeze="pass")},
        "caught_by": ["test_ex3_classifier_frozen"]},
    "classifier_copy": {
        "why": "a clone of the encoder (its own variables) instead of the encoder itself",
        "cells": {CLASSIFIER: classifier(
            freeze="encoder = keras.models.clone_model(encoder)\n"
                   "    encoder.trainable = trainable")},
        "caught_by": ["test_ex3_classifier_shares_encoder"]},
    "classifier_logits": {
        "why": "no softmax on the output layer",
        "cells": {CLASSIFIER: classifier(head="keras.layers.Dense(10)")},
        "caught_by": ["test_ex3_classifier_output"]},
    "classifier_default_rate": {
        "why": "the learning_rate argument ignored: optimizer='nadam'",
        "cells": {CLASSIFIER: classifier(optimizer='"nadam"')},
        "caught_by": ["test_ex3_classifier_compiled"]},
}

RIGHT = {
    "textbook_tf_keras": {
        "why": "the textbook's style (Hands-On ML 3rd ed., ch. 17): tf.keras, input_shape= on "
               "Flatten, a decoder built on first call, Reshape([28, 28]), Nadam() objects, "
               "SparseCategoricalAccuracy",
        "cells": {
            ENCODER: '''
def build_encoder(n_codings=30):
    return tf.keras.Sequential([
        tf.keras.layers.Flatten(input_shape=(28, 28)),
        tf.keras.layers.Dense(100, activation="relu"),
        tf.keras.layers.Dense(n_codings, activation="relu"),
    ])
''',
            DECODER: '''
def build_decoder(n_codings=30):
    return tf.keras.Sequential([
        tf.keras.layers.Dense(100, activation="relu"),
        tf.keras.layers.Dense(28 * 28),
        tf.keras.layers.Reshape([28, 28]),
    ])
''',
            AUTOENCODER: '''
def build_autoencoder(encoder, decoder):
    stacked_ae = tf.keras.Sequential([encoder, decoder])
    stacked_ae.compile(loss="mse", optimizer=tf.keras.optimizers.Nadam())
    return stacked_ae
''',
            ENCODE: '''
def encode(encoder, X, batch_size=256):
    return encoder.predict(X, batch_size=batch_size, verbose=0)
''',
            CLASSIFIER: '''
def build_pretrained_classifier(encoder, trainable=False, learning_rate=1e-3):
    encoder.trainable = trainable
    model = tf.keras.Sequential([
        encoder,
        tf.keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(),
                  optimizer=tf.keras.optimizers.Nadam(learning_rate=learning_rate),
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])
    return model
'''}},
    "functional_and_subclassed": {
        "why": "a functional encoder, a subclassed decoder and autoencoder, a hand-written loop "
               "over tf.data batches, the encoder's layers frozen one by one after compile",
        "cells": {
            ENCODER: '''
def build_encoder(n_codings=30):
    inputs = keras.Input(shape=(28, 28))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(100, activation="relu")(x)
    codings = keras.layers.Dense(n_codings, activation="relu")(x)
    return keras.Model(inputs, codings, name="encoder")
''',
            DECODER: '''
class Decoder(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(100, activation="relu")
        self.pixels = keras.layers.Dense(28 * 28)

    def call(self, codings):
        return keras.ops.reshape(self.pixels(self.hidden(codings)), (-1, 28, 28))


def build_decoder(n_codings=30):
    return Decoder()
''',
            AUTOENCODER: '''
class Stacked(keras.Model):
    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def call(self, images):
        return self.decoder(self.encoder(images))


def build_autoencoder(encoder, decoder):
    model = Stacked(encoder, decoder)
    model.compile(loss=keras.losses.MeanSquaredError(), optimizer=keras.optimizers.Nadam())
    return model
''',
            ENCODE: '''
def encode(encoder, X, batch_size=256):
    dataset = tf.data.Dataset.from_tensor_slices(X).batch(batch_size)
    return np.concatenate([encoder(batch).numpy() for batch in dataset])
''',
            CLASSIFIER: '''
def build_pretrained_classifier(encoder, trainable=False, learning_rate=1e-3):
    images = keras.Input(shape=(28, 28))
    probas = keras.layers.Dense(10, activation="softmax")(encoder(images))
    model = keras.Model(images, probas)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  optimizer=keras.optimizers.Nadam(learning_rate))
    for layer in encoder.layers:
        layer.trainable = trainable
    return model
'''}},
}
