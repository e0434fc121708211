"""Other answers to lesson 5's exercises: plausible wrong ones, and right ones in other styles.

Graded by ``aecourse variants 05_greedy_layerwise`` (see aecourse/variants.py).
"""
# ruff: noqa: E501  (the answers are student code in strings, with students' line lengths)

TRAIN = "ex1_train_shallow"
CODINGS = "ex2_make_codings"
STACK = "ex3_stack"


def trainer(seed="keras.utils.set_random_seed(seed)", act="activation",
            optimizer='"nadam"', fit="epochs=epochs, batch_size=batch_size, verbose=verbose",
            late_seed=""):
    return f'''
def train_shallow_autoencoder(X_train, n_hidden, X_valid=None, epochs=10, batch_size=32,
                              activation="relu", output_activation=None, seed=42, verbose=0):
    {seed}
    input_shape = X_train.shape[1:]
    encoder = keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Flatten(),
        keras.layers.Dense(n_hidden, activation={act}),
    ])
    decoder = keras.Sequential([
        keras.Input(shape=(n_hidden,)),
        keras.layers.Dense(int(np.prod(input_shape)), activation=output_activation),
        keras.layers.Reshape(input_shape),
    ])
    autoencoder = keras.Sequential([encoder, decoder])
    autoencoder.compile(loss="mse", optimizer={optimizer})
    {late_seed}
    validation_data = None if X_valid is None else (X_valid, X_valid)
    history = autoencoder.fit(X_train, X_train, {fit}, validation_data=validation_data)
    return encoder, decoder, history
'''


def codings(body):
    return f"def make_codings(encoder, X, batch_size=256):\n    {body}\n"


def stack(body):
    return f"def stack_autoencoders(encoders, decoders):\n    {body}\n"


WRONG = {
    # ------------------------------------------------------------ exercise 1: the trainer
    "seed_after_building": {
        "why": "the seed set just before fit, after the layers drew their initial weights",
        "cells": {TRAIN: trainer(seed="pass", late_seed="keras.utils.set_random_seed(seed)")},
        "caught_by": ["test_ex1_seed"]},
    "batch_size_ignored": {
        "why": "batch_size not passed to fit (batches of 32 whatever the argument)",
        "cells": {TRAIN: trainer(fit="epochs=epochs, verbose=verbose")},
        "caught_by": ["test_ex1_fit_arguments", "test_ex1_it_trains"]},
    "nadam_fast": {
        "why": "Nadam with a learning rate of 0.01: the loss still goes down",
        "cells": {TRAIN: trainer(optimizer="keras.optimizers.Nadam(learning_rate=0.01)")},
        "caught_by": ["test_ex1_it_trains"]},
    "activation_ignored": {
        "why": "a ReLU hidden layer whatever the activation argument",
        "cells": {TRAIN: trainer(act='"relu"')},
        "caught_by": ["test_ex1_architecture"]},
    # ------------------------------------------------------------ exercise 2: make_codings
    "codings_tensor": {
        "why": "returns encoder(X), a tensor, not a NumPy array",
        "cells": {CODINGS: codings("return encoder(X)")},
        "caught_by": ["test_ex2_shape_and_type"]},
    "codings_all_at_once": {
        "why": "np.asarray(encoder(X)): one huge batch, batch_size ignored",
        "cells": {CODINGS: codings("return np.asarray(encoder(X))")},
        "caught_by": ["test_ex2_values"]},
    "codings_progress_bar": {
        "why": "predict without verbose=0 prints a progress bar",
        "cells": {CODINGS: codings("return encoder.predict(X, batch_size=batch_size)")},
        "caught_by": ["test_ex2_shape_and_type"]},
    "codings_drop_last_batch": {
        "why": "a loop over len(X) // batch_size full batches drops the last, partial batch",
        "cells": {CODINGS: codings(
            "n = max(len(X) // batch_size, 1) * batch_size\n"
            "    return np.concatenate([np.asarray(encoder(X[i:i + batch_size]))\n"
            "                           for i in range(0, n, batch_size)])")},
        "caught_by": ["test_ex2_values"]},
    # ------------------------------------------------------------ exercise 3: the stack
    "stack_not_reversed": {
        "why": "decoders in training order: [encoder1, encoder2, decoder1, decoder2]",
        "cells": {STACK: stack("return keras.Sequential(list(encoders) + list(decoders))")},
        "caught_by": ["test_ex3_output_shape", "test_ex3_order"]},
    "stack_copies": {
        "why": "clones of the trained models (fresh weights) instead of the models themselves",
        "cells": {STACK: stack("return keras.Sequential([keras.models.clone_model(m) for m in "
                               "list(encoders) + list(decoders)[::-1]])")},
        "caught_by": ["test_ex3_order", "test_ex3_shares_weights"]},
    "stack_reverses_in_place": {
        "why": "decoders.reverse() changes the caller's list",
        "cells": {STACK: stack("decoders.reverse()\n"
                               "    return keras.Sequential(encoders + decoders)")},
        "caught_by": ["test_ex3_output_shape"]},
    "stack_two_stages_only": {
        "why": "hard-coded for two stages",
        "cells": {STACK: stack("return keras.Sequential([encoders[0], encoders[1], decoders[1], "
                               "decoders[0]])")},
        "caught_by": ["test_ex3_order"]},
}

RIGHT = {
    "textbook_tf_keras": {
        "why": "the textbook's style (Hands-On ML 3rd ed., ch. 17): tf.keras, input_shape= on "
               "the first layer, a decoder built on first call, Reshape with a list, a Nadam() "
               "object, two fit calls",
        "cells": {
            TRAIN: '''
def train_shallow_autoencoder(X_train, n_hidden, X_valid=None, epochs=10, batch_size=32,
                              activation="relu", output_activation=None, seed=42, verbose=0):
    tf.keras.utils.set_random_seed(seed)
    n_inputs = int(np.prod(X_train.shape[1:]))
    encoder = tf.keras.Sequential([
        tf.keras.layers.Flatten(input_shape=X_train.shape[1:]),
        tf.keras.layers.Dense(n_hidden, activation=activation),
    ])
    decoder = tf.keras.Sequential([
        tf.keras.layers.Dense(n_inputs, activation=output_activation),
        tf.keras.layers.Reshape(list(X_train.shape[1:])),
    ])
    autoencoder = tf.keras.Sequential([encoder, decoder])
    autoencoder.compile(loss="mse", optimizer=tf.keras.optimizers.Nadam())
    if X_valid is not None:
        history = autoencoder.fit(X_train, X_train, epochs=epochs, batch_size=batch_size,
                                  validation_data=(X_valid, X_valid), verbose=verbose)
    else:
        history = autoencoder.fit(X_train, X_train, epochs=epochs, batch_size=batch_size,
                                  verbose=verbose)
    return encoder, decoder, history
''',
            CODINGS: '''
def make_codings(encoder, X, batch_size=256):
    return encoder.predict(X, batch_size=batch_size, verbose=0)
''',
            STACK: '''
def stack_autoencoders(encoders, decoders):
    return tf.keras.Sequential([*encoders, *reversed(decoders)])
'''}},
    "functional_api": {
        "why": "functional-API models and stack; the codings in a hand-written loop",
        "cells": {
            TRAIN: '''
def train_shallow_autoencoder(X_train, n_hidden, X_valid=None, epochs=10, batch_size=32,
                              activation="relu", output_activation=None, seed=42, verbose=0):
    keras.utils.set_random_seed(seed)
    shape = X_train.shape[1:]
    inputs = keras.Input(shape=shape)
    codings = keras.layers.Dense(n_hidden, activation=activation)(keras.layers.Flatten()(inputs))
    encoder = keras.Model(inputs, codings, name="encoder")
    decoder_inputs = keras.Input(shape=(n_hidden,))
    outputs = keras.layers.Dense(int(np.prod(shape)), activation=output_activation)(decoder_inputs)
    decoder = keras.Model(decoder_inputs, keras.layers.Reshape(shape)(outputs), name="decoder")
    autoencoder = keras.Model(inputs, decoder(encoder(inputs)))
    autoencoder.compile(loss=keras.losses.MeanSquaredError(), optimizer=keras.optimizers.Nadam())
    history = autoencoder.fit(
        X_train, X_train, epochs=epochs, batch_size=batch_size, verbose=verbose,
        validation_data=None if X_valid is None else (X_valid, X_valid))
    return encoder, decoder, history
''',
            CODINGS: '''
def make_codings(encoder, X, batch_size=256):
    batches = [keras.ops.convert_to_numpy(encoder(X[i:i + batch_size]))
               for i in range(0, len(X), batch_size)]
    return np.concatenate(batches).astype(np.float32)
''',
            STACK: '''
def stack_autoencoders(encoders, decoders):
    inputs = keras.Input(shape=encoders[0].inputs[0].shape[1:])
    x = inputs
    for model in list(encoders) + list(decoders)[::-1]:
        x = model(x)
    return keras.Model(inputs, x)
'''}},
}
