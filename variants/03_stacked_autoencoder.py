"""Plausible wrong answers and correct answers in other styles for lesson 3 (see aecourse.variants)."""

ENCODER = "ex1_build_encoder"
DECODER = "ex1_build_decoder"
AUTOENCODER = "ex1_build_autoencoder"
ENCODE = "ex2_encode"
CLASSIFIER = "ex3_build_pretrained_classifier"


def encoder(hidden="relu", codings="relu", width=100, flatten=True, n="n_codings"):
    first = "keras.layers.Flatten(),\n        " if flatten else ""
    return f'''
def build_encoder(n_codings=30):
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        {first}keras.layers.Dense({width}, activation={hidden!r}),
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


def classifier(freeze="encoder.trainable = trainable", base="encoder",
               head='keras.layers.Dense(10, activation="softmax")',
               optimizer="keras.optimizers.Nadam(learning_rate=learning_rate)",
               loss='"sparse_categorical_crossentropy"', metrics='["accuracy"]'):
    return f'''
def build_pretrained_classifier(encoder, trainable=False, learning_rate=1e-3):
    {freeze}
    classifier = keras.Sequential([{base}, {head}])
    classifier.compile(loss={loss}, optimizer={optimizer}, metrics={metrics})
    return classifier
'''


WRONG = {
    # Exercise 1a: the encoder
    "encoder_selu": {
        "why": "SELU layers, as in the textbook's 2nd edition, instead of ReLU",
        "cells": {ENCODER: encoder(hidden="selu", codings="selu")},
        "caught_by": ["test_ex1_encoder_relu"]},
    "encoder_sigmoid_codings": {
        "why": "sigmoid codings layer: positive, but never exactly zero",
        "cells": {ENCODER: encoder(codings="sigmoid")},
        "caught_by": ["test_ex1_encoder_relu"]},
    "encoder_linear_codings": {
        "why": "no activation on the codings layer",
        "cells": {ENCODER: encoder(codings=None)},
        "caught_by": ["test_ex1_encoder_relu"]},
    "encoder_linear_hidden": {
        "why": "ReLU on the codings only, the 100-unit layer linear",
        "cells": {ENCODER: encoder(hidden=None)},
        "caught_by": ["test_ex1_encoder_relu"]},
    "encoder_fixed_30": {
        "why": "n_codings ignored: always 30 codings",
        "cells": {ENCODER: encoder(n=30)},
        "caught_by": ["test_ex1_encoder_shapes", "test_ex1_encoder_params"]},
    "encoder_layers_swapped": {
        "why": "the codings layer first, then the 100-unit layer",
        "cells": {ENCODER: encoder(width="n_codings", n=100)},
        "caught_by": ["test_ex1_encoder_shapes", "test_ex1_encoder_params"]},
    "encoder_wide": {
        "why": "128 hidden units instead of 100",
        "cells": {ENCODER: encoder(width=128)},
        "caught_by": ["test_ex1_encoder_params"]},
    # Exercise 1b: the decoder
    "decoder_sigmoid_output": {
        "why": "sigmoid output layer ('pixels are in [0, 1]') instead of a linear one",
        "cells": {DECODER: decoder(output="sigmoid")},
        "caught_by": ["test_ex1_decoder_linear"]},
    "decoder_relu_output": {
        "why": "ReLU on the output layer too",
        "cells": {DECODER: decoder(output="relu")},
        "caught_by": ["test_ex1_decoder_linear"]},
    "decoder_linear_hidden": {
        "why": "no activation on the 100-unit layer",
        "cells": {DECODER: decoder(hidden=None)},
        "caught_by": ["test_ex1_decoder_linear"]},
    "decoder_selu_hidden": {
        "why": "SELU hidden layer instead of ReLU",
        "cells": {DECODER: decoder(hidden="selu")},
        "caught_by": ["test_ex1_decoder_linear"]},
    "decoder_fixed_30": {
        "why": "n_codings ignored: always 30 inputs",
        "cells": {DECODER: decoder(n=30)},
        "caught_by": ["test_ex1_decoder_shapes", "test_ex1_decoder_params"]},
    "decoder_no_reshape": {
        "why": "flat 784-number outputs, not reshaped to 28x28",
        "cells": {DECODER: decoder(reshape=False)},
        "caught_by": ["test_ex1_decoder_shapes", "test_ex1_decoder_linear"]},
    # Exercise 1c: the stacked autoencoder
    "autoencoder_new_models": {
        "why": "builds a new encoder and decoder instead of stacking the given ones",
        "cells": {AUTOENCODER: autoencoder(models="build_encoder(), build_decoder()")},
        "caught_by": ["test_ex1_autoencoder_stack"]},
    "autoencoder_adam": {
        "why": "Adam instead of Nadam",
        "cells": {AUTOENCODER: autoencoder(optimizer='"adam"')},
        "caught_by": ["test_ex1_autoencoder_compiled"]},
    "autoencoder_nadam_lr": {
        "why": "Nadam with a learning rate of 0.01 instead of the default 0.001",
        "cells": {AUTOENCODER: autoencoder(optimizer="keras.optimizers.Nadam(learning_rate=0.01)")},
        "caught_by": ["test_ex1_autoencoder_compiled"]},
    "autoencoder_nadam_momentum": {
        "why": "Nadam with beta_1=0.99 ('more momentum')",
        "cells": {AUTOENCODER: autoencoder(optimizer="keras.optimizers.Nadam(beta_1=0.99)")},
        "caught_by": ["test_ex1_autoencoder_compiled"]},
    "autoencoder_sgd_nesterov": {
        "why": "'Adam with Nesterov momentum' read as SGD with Nesterov momentum",
        "cells": {AUTOENCODER: autoencoder(
            optimizer="keras.optimizers.SGD(learning_rate=1e-3, momentum=0.9, nesterov=True)")},
        "caught_by": ["test_ex1_autoencoder_compiled"]},
    "autoencoder_mae": {
        "why": "mean absolute error instead of the MSE",
        "cells": {AUTOENCODER: autoencoder(loss='"mae"')},
        "caught_by": ["test_ex1_autoencoder_compiled"]},
    "autoencoder_bce": {
        "why": "binary cross-entropy with a linear output",
        "cells": {AUTOENCODER: autoencoder(loss='"binary_crossentropy"')},
        "caught_by": ["test_ex1_autoencoder_compiled"]},
    # Exercise 2: encode
    "encode_tensor": {
        "why": "returns encoder(X), a tensor, not a NumPy array",
        "cells": {ENCODE: "def encode(encoder, X, batch_size=256):\n    return encoder(X)"},
        "caught_by": ["test_ex2_encode_shape"]},
    "encode_all_at_once": {
        "why": "one big batch: np.asarray(encoder(X)) ignores batch_size",
        "cells": {ENCODE: "def encode(encoder, X, batch_size=256):\n"
                          "    return np.asarray(encoder(X))"},
        "caught_by": ["test_ex2_encode_values"]},
    "encode_default_batch": {
        "why": "predict without batch_size (batches of 32)",
        "cells": {ENCODE: "def encode(encoder, X, batch_size=256):\n"
                          "    return encoder.predict(X, verbose=0)"},
        "caught_by": ["test_ex2_encode_values"]},
    "encode_progress_bar": {
        "why": "predict without verbose=0 prints a progress bar",
        "cells": {ENCODE: "def encode(encoder, X, batch_size=256):\n"
                          "    return encoder.predict(X, batch_size=batch_size)"},
        "caught_by": ["test_ex2_encode_shape"]},
    "encode_drops_last_batch": {
        "why": "a loop over len(X) // batch_size full batches drops the last partial batch",
        "cells": {ENCODE: "def encode(encoder, X, batch_size=256):\n"
                          "    n = max(len(X) // batch_size, 1) * batch_size\n"
                          "    return np.concatenate([np.asarray(encoder(X[i:i + batch_size]))\n"
                          "                           for i in range(0, n, batch_size)])"},
        "caught_by": ["test_ex2_encode_shape", "test_ex2_encode_values"]},
    # Exercise 3: the pretrained classifier
    "classifier_never_frozen": {
        "why": "trainable ignored: the encoder stays trainable",
        "cells": {CLASSIFIER: classifier(freeze="pass")},
        "caught_by": ["test_ex3_classifier_frozen"]},
    "classifier_always_frozen": {
        "why": "trainable ignored: the encoder is always frozen",
        "cells": {CLASSIFIER: classifier(freeze="encoder.trainable = False")},
        "caught_by": ["test_ex3_classifier_unfrozen"]},
    "classifier_copy": {
        "why": "a clone of the encoder (copied weights) instead of the encoder itself",
        "cells": {CLASSIFIER: classifier(
            freeze="encoder = keras.models.clone_model(encoder)\n"
                   "    encoder.trainable = trainable")},
        "caught_by": ["test_ex3_classifier_shares_encoder", "test_ex3_classifier_unfrozen"]},
    "classifier_fresh_encoder": {
        "why": "a fresh build_encoder() instead of the trained encoder",
        "cells": {CLASSIFIER: classifier(freeze="encoder = build_encoder()\n"
                                                "    encoder.trainable = trainable")},
        "caught_by": ["test_ex3_classifier_shares_encoder"]},
    "classifier_all_frozen": {
        "why": "classifier.trainable = False: the new output layer is frozen too",
        "cells": {CLASSIFIER: classifier(freeze="pass").replace(
            "    classifier.compile(", "    classifier.trainable = trainable\n    classifier.compile(")},
        "caught_by": ["test_ex3_classifier_frozen"]},
    "classifier_logits": {
        "why": "no softmax on the output layer",
        "cells": {CLASSIFIER: classifier(head="keras.layers.Dense(10)")},
        "caught_by": ["test_ex3_classifier_output"]},
    "classifier_sigmoid": {
        "why": "sigmoid output layer instead of softmax",
        "cells": {CLASSIFIER: classifier(head='keras.layers.Dense(10, activation="sigmoid")')},
        "caught_by": ["test_ex3_classifier_output"]},
    "classifier_default_rate": {
        "why": "learning_rate ignored: optimizer='nadam'",
        "cells": {CLASSIFIER: classifier(optimizer='"nadam"')},
        "caught_by": ["test_ex3_classifier_compiled"]},
    "classifier_adam": {
        "why": "Adam instead of Nadam",
        "cells": {CLASSIFIER: classifier(
            optimizer="keras.optimizers.Adam(learning_rate=learning_rate)")},
        "caught_by": ["test_ex3_classifier_compiled"]},
    "classifier_decay": {
        "why": "an exponentially decaying learning rate instead of a constant one",
        "cells": {CLASSIFIER: classifier(optimizer=(
            "keras.optimizers.Nadam(learning_rate=keras.optimizers.schedules."
            "ExponentialDecay(learning_rate, decay_steps=1, decay_rate=0.9))"))},
        "caught_by": ["test_ex3_classifier_compiled"]},
    "classifier_accuracy_object": {
        "why": "metrics=[keras.metrics.Accuracy()], which compares probabilities with labels",
        "cells": {CLASSIFIER: classifier(metrics="[keras.metrics.Accuracy()]")},
        "caught_by": ["test_ex3_classifier_compiled"]},
}

RIGHT = {
    "textbook_tf_keras": {
        "why": "the textbook's style (Hands-On ML 3rd ed., ch. 17): tf.keras, input_shape= on "
               "Flatten, a decoder built on first call, Reshape([28, 28]), Nadam() objects",
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
    "functional_api": {
        "why": "functional-API models; encode in a hand-written loop over batches; the layers "
               "frozen one by one",
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
def build_decoder(n_codings=30):
    codings = keras.Input(shape=(n_codings,))
    x = keras.layers.Dense(100, activation="relu")(codings)
    x = keras.layers.Dense(784, activation="linear")(x)
    return keras.Model(codings, keras.layers.Reshape((28, 28))(x), name="decoder")
''',
            AUTOENCODER: '''
def build_autoencoder(encoder, decoder):
    images = keras.Input(shape=(28, 28))
    model = keras.Model(images, decoder(encoder(images)))
    model.compile(loss=keras.losses.MeanSquaredError(), optimizer=keras.optimizers.Nadam())
    return model
''',
            ENCODE: '''
def encode(encoder, X, batch_size=256):
    parts = []
    for start in range(0, len(X), batch_size):
        parts.append(keras.ops.convert_to_numpy(encoder(X[start:start + batch_size])))
    return np.concatenate(parts, axis=0)
''',
            CLASSIFIER: '''
def build_pretrained_classifier(encoder, trainable=False, learning_rate=1e-3):
    for layer in encoder.layers:
        layer.trainable = trainable
    images = keras.Input(shape=(28, 28))
    probas = keras.layers.Dense(10, activation="softmax")(encoder(images))
    model = keras.Model(images, probas)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  optimizer=keras.optimizers.Nadam(learning_rate))
    return model
'''}},
    "subclassed_and_frozen_after_compile": {
        "why": "subclassed models; the encoder's layers reused in a new Sequential; trainable "
               "set after compile (equivalent in Keras 3 as long as nothing was fit yet)",
        "cells": {
            ENCODER: '''
class Encoder(keras.Model):
    def __init__(self, n_codings=30):
        super().__init__()
        self.flatten = keras.layers.Flatten()
        self.hidden = keras.layers.Dense(100, activation="relu")
        self.codings = keras.layers.Dense(n_codings, activation="relu")

    def call(self, images):
        return self.codings(self.hidden(self.flatten(images)))


def build_encoder(n_codings=30):
    return Encoder(n_codings)
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
def build_autoencoder(encoder, decoder):
    class Stacked(keras.Model):
        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = encoder, decoder

        def call(self, images):
            return self.decoder(self.encoder(images))

    model = Stacked()
    model.compile(loss="mean_squared_error", optimizer="nadam")
    return model
''',
            ENCODE: '''
def encode(encoder, X, batch_size=256):
    dataset = tf.data.Dataset.from_tensor_slices(X).batch(batch_size)
    return np.concatenate([encoder(batch).numpy() for batch in dataset])
''',
            CLASSIFIER: '''
def build_pretrained_classifier(encoder, trainable=False, learning_rate=1e-3):
    classifier = keras.Sequential(list(encoder.layers)
                                  + [keras.layers.Dense(10, activation="softmax")])
    classifier.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                       optimizer=keras.optimizers.Nadam(learning_rate=learning_rate))
    encoder.trainable = trainable
    return classifier
'''}},
}
