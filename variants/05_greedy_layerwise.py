"""Plausible wrong answers and correct answers in other styles for lesson 5 (see aecourse.variants)."""

TRAIN = "ex1_train_shallow"
CODINGS = "ex2_make_codings"
STACK = "ex3_stack"


def trainer(seed="keras.utils.set_random_seed(seed)", act="activation", out="output_activation",
            shape="tuple(X_train.shape[1:])", loss='"mse"', optimizer='"nadam"',
            fit="epochs=epochs, batch_size=batch_size, verbose=verbose",
            valid="None if X_valid is None else (X_valid, X_valid)", late_seed="",
            returns="encoder, decoder, history", reshape=True):
    last = "\n        keras.layers.Reshape(input_shape)," if reshape else ""
    return f'''
def train_shallow_autoencoder(X_train, n_hidden, X_valid=None, epochs=10, batch_size=32,
                              activation="relu", output_activation=None, seed=42, verbose=0):
    {seed}
    input_shape = {shape}
    n_inputs = int(np.prod(input_shape))
    encoder = keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Flatten(),
        keras.layers.Dense(n_hidden, activation={act}),
    ])
    decoder = keras.Sequential([
        keras.Input(shape=(n_hidden,)),
        keras.layers.Dense(n_inputs, activation={out}),{last}
    ])
    autoencoder = keras.Sequential([encoder, decoder])
    autoencoder.compile(loss={loss}, optimizer={optimizer})
    {late_seed}
    history = autoencoder.fit(X_train, X_train, {fit}, validation_data={valid})
    return {returns}
'''


def codings(body):
    return f"def make_codings(encoder, X, batch_size=256):\n    {body}\n"


def stack(body):
    return f"def stack_autoencoders(encoders, decoders):\n    {body}\n"


WRONG = {
    # Exercise 1: the shallow-autoencoder trainer
    "no_seed": {
        "why": "the seed argument is ignored: no keras.utils.set_random_seed",
        "cells": {TRAIN: trainer(seed="pass")},
        "caught_by": ["test_ex1_seed"]},
    "seed_hard_coded": {
        "why": "keras.utils.set_random_seed(42) whatever the seed argument",
        "cells": {TRAIN: trainer(seed="keras.utils.set_random_seed(42)")},
        "caught_by": ["test_ex1_seed"]},
    "seed_tf_only": {
        "why": "tf.random.set_seed(seed) only: Keras draws initialiser seeds from Python's random",
        "cells": {TRAIN: trainer(seed="tf.random.set_seed(seed)")},
        "caught_by": ["test_ex1_seed"]},
    "seed_after_building": {
        "why": "the seed is set just before fit, after the layers drew their initial weights",
        "cells": {TRAIN: trainer(seed="pass", late_seed="keras.utils.set_random_seed(seed)")},
        "caught_by": ["test_ex1_seed"]},
    "batch_size_ignored": {
        "why": "batch_size not passed to fit (batches of 32)",
        "cells": {TRAIN: trainer(fit="epochs=epochs, verbose=verbose")},
        "caught_by": ["test_ex1_fit_arguments", "test_ex1_it_trains"]},
    "epochs_ignored": {
        "why": "always 10 epochs",
        "cells": {TRAIN: trainer(fit="epochs=10, batch_size=batch_size, verbose=verbose")},
        "caught_by": ["test_ex1_it_trains", "test_ex1_fit_arguments"]},
    "verbose_ignored": {
        "why": "verbose not passed to fit: a progress bar every time",
        "cells": {TRAIN: trainer(fit="epochs=epochs, batch_size=batch_size")},
        "caught_by": ["test_ex1_fit_arguments"]},
    "verbose_always_silent": {
        "why": "verbose=0 whatever the argument",
        "cells": {TRAIN: trainer(fit="epochs=epochs, batch_size=batch_size, verbose=0")},
        "caught_by": ["test_ex1_it_trains"]},
    "validation_ignored": {
        "why": "X_valid never used",
        "cells": {TRAIN: trainer(valid="None")},
        "caught_by": ["test_ex1_fit_arguments"]},
    "validation_split": {
        "why": "validation_split=0.1 of the training set instead of X_valid",
        "cells": {TRAIN: trainer(valid="None, validation_split=0.1 if X_valid is not None else 0.0")},
        "caught_by": ["test_ex1_fit_arguments"]},
    "validation_truthiness": {
        "why": "'if X_valid' on a NumPy array raises instead of testing for None",
        "cells": {TRAIN: trainer(valid="(X_valid, X_valid) if X_valid else None")},
        "caught_by": ["test_ex1_fit_arguments"]},
    "no_flatten": {
        "why": "no Flatten: the Dense layer works on the last axis of each image",
        "cells": {TRAIN: trainer().replace("        keras.layers.Flatten(),\n", "")},
        "caught_by": ["test_ex1_shapes_images", "test_ex1_architecture"]},
    "selu_codings": {
        "why": "SELU hidden layer (the textbook's 2nd edition) whatever the activation argument",
        "cells": {TRAIN: trainer(act='"selu"')},
        "caught_by": ["test_ex1_architecture"]},
    "activation_ignored": {
        "why": "ReLU hidden layer whatever the activation argument",
        "cells": {TRAIN: trainer(act='"relu"')},
        "caught_by": ["test_ex1_architecture"]},
    "output_activation_ignored": {
        "why": "linear output whatever output_activation says",
        "cells": {TRAIN: trainer(out="None")},
        "caught_by": ["test_ex1_architecture"]},
    "output_sigmoid": {
        "why": "sigmoid output by default ('pixels are in [0, 1]')",
        "cells": {TRAIN: trainer(out='output_activation or "sigmoid"')},
        "caught_by": ["test_ex1_architecture"]},
    "adam": {
        "why": "Adam instead of Nadam",
        "cells": {TRAIN: trainer(optimizer='"adam"')},
        "caught_by": ["test_ex1_it_trains"]},
    "nadam_fast": {
        "why": "Nadam with a learning rate of 0.01",
        "cells": {TRAIN: trainer(optimizer="keras.optimizers.Nadam(learning_rate=0.01)")},
        "caught_by": ["test_ex1_it_trains"]},
    "nadam_decay": {
        "why": "Nadam with an exponentially decaying learning rate",
        "cells": {TRAIN: trainer(optimizer=(
            "keras.optimizers.Nadam(learning_rate=keras.optimizers.schedules.ExponentialDecay("
            "1e-3, decay_steps=1, decay_rate=0.9))"))},
        "caught_by": ["test_ex1_it_trains"]},
    "mae": {
        "why": "mean absolute error instead of the MSE",
        "cells": {TRAIN: trainer(loss='"mae"')},
        "caught_by": ["test_ex1_it_trains"]},
    "n_inputs_last_axis": {
        "why": "n_inputs = X_train.shape[-1] (the textbook's flat-vector code): 28 for images",
        "cells": {TRAIN: trainer(shape="(X_train.shape[-1],)", reshape=False)},
        "caught_by": ["test_ex1_shapes_images"]},
    "no_reshape": {
        "why": "the decoder's output is not reshaped to the input shape",
        "cells": {TRAIN: trainer(reshape=False).replace(
            "autoencoder.fit(X_train, X_train,",
            "autoencoder.fit(X_train, X_train.reshape(len(X_train), -1),")},
        "caught_by": ["test_ex1_shapes_images"]},
    # Exercise 2: make_codings
    "codings_tensor": {
        "why": "returns encoder(X), a tensor",
        "cells": {CODINGS: codings("return encoder(X)")},
        "caught_by": ["test_ex2_shape_and_type"]},
    "codings_all_at_once": {
        "why": "np.asarray(encoder(X)): one huge batch, batch_size ignored",
        "cells": {CODINGS: codings("return np.asarray(encoder(X))")},
        "caught_by": ["test_ex2_values"]},
    "codings_default_batch": {
        "why": "predict without batch_size (batches of 32)",
        "cells": {CODINGS: codings("return encoder.predict(X, verbose=0)")},
        "caught_by": ["test_ex2_values"]},
    "codings_progress_bar": {
        "why": "predict without verbose=0",
        "cells": {CODINGS: codings("return encoder.predict(X, batch_size=batch_size)")},
        "caught_by": ["test_ex2_shape_and_type"]},
    "codings_float64": {
        "why": "float64 codings (np.array(..., dtype=float))",
        "cells": {CODINGS: codings(
            "return np.array(encoder.predict(X, batch_size=batch_size, verbose=0), dtype=float)")},
        "caught_by": ["test_ex2_shape_and_type"]},
    "codings_drop_last_batch": {
        "why": "a loop over len(X) // batch_size full batches drops the last partial batch",
        "cells": {CODINGS: codings(
            "n = max(len(X) // batch_size, 1) * batch_size\n"
            "    return np.concatenate([np.asarray(encoder(X[i:i + batch_size]))\n"
            "                           for i in range(0, n, batch_size)])")},
        "caught_by": ["test_ex2_values"]},
    # Exercise 3: stack_autoencoders
    "stack_not_reversed": {
        "why": "decoders in training order: [encoder1, encoder2, decoder1, decoder2]",
        "cells": {STACK: stack("return keras.Sequential(list(encoders) + list(decoders))")},
        "caught_by": ["test_ex3_output_shape", "test_ex3_order"]},
    "stack_all_reversed": {
        "why": "the whole list reversed: [decoder2, decoder1, encoder2, encoder1]",
        "cells": {STACK: stack("return keras.Sequential((list(encoders) + list(decoders))[::-1])")},
        "caught_by": ["test_ex3_output_shape", "test_ex3_order"]},
    "stack_copies": {
        "why": "clones of the trained models (fresh weights) instead of the models themselves",
        "cells": {STACK: stack("return keras.Sequential([keras.models.clone_model(m) for m in "
                               "list(encoders) + list(decoders)[::-1]])")},
        "caught_by": ["test_ex3_order", "test_ex3_shares_weights"]},
    "stack_two_stages_only": {
        "why": "hard-coded for two stages",
        "cells": {STACK: stack("return keras.Sequential([encoders[0], encoders[1], decoders[1], "
                               "decoders[0]])")},
        "caught_by": ["test_ex3_order"]},
    "stack_reverses_in_place": {
        "why": "decoders.reverse() changes the caller's list",
        "cells": {STACK: stack("decoders.reverse()\n"
                               "    return keras.Sequential(encoders + decoders)")},
        "caught_by": ["test_ex3_output_shape"]},
}

RIGHT = {
    "textbook_tf_keras": {
        "why": "the textbook's style (Hands-On ML ch. 17): tf.keras, input_shape= on the first "
               "layer, a decoder built on first call, Reshape with a list, Nadam() object",
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
        "why": "functional-API models and stack; codings in a hand-written loop",
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
    "layers_flattened": {
        "why": "the stack made of the models' layers (still the same layer objects)",
        "cells": {STACK: '''
def stack_autoencoders(encoders, decoders):
    layers = []
    for model in encoders + decoders[::-1]:
        layers.extend(model.layers)
    return keras.Sequential(layers)
'''}},
}
