"""Other answers to lesson 2's exercises: plausible wrong ones, and right ones in other styles.

Graded by ``aecourse variants 02_pca_autoencoder`` (see aecourse/variants.py).
"""
# ruff: noqa: E501  (the answers are student code in strings, with students' line lengths)

# ---------------------------------------------------------------------------- exercise 1

EX1 = "ex1_build_linear_autoencoder"


def ex1(encoder="keras.layers.Dense(n_codings)", decoder="keras.layers.Dense(n_inputs)",
        optimizer="keras.optimizers.SGD(learning_rate=learning_rate)", loss='"mse"',
        autoencoder="keras.Sequential([encoder, decoder])"):
    return f'''
def build_linear_autoencoder(n_inputs=3, n_codings=2, learning_rate=0.5):
    encoder = keras.Sequential([keras.Input(shape=(n_inputs,)), {encoder}])
    decoder = keras.Sequential([keras.Input(shape=(n_codings,)), {decoder}])
    autoencoder = {autoencoder}
    autoencoder.compile(loss={loss}, optimizer={optimizer})
    return encoder, decoder, autoencoder
'''


# ---------------------------------------------------------------------------- exercise 2

EX2 = "ex2_compare_with_pca"

EX2_HEAD = '''
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA


def compare_with_pca(X, encoder, decoder):
    X = np.asarray(X, dtype=np.float32)
    codings = keras.ops.convert_to_numpy(encoder(X))
    k = codings.shape[1]
    reconstructions = keras.ops.convert_to_numpy(decoder(codings))
'''


def ex2(directions="keras.ops.convert_to_numpy(decoder.layers[-1].kernel)",
        pca="PCA(n_components=k).fit(X)",
        angle="np.degrees(np.max(subspace_angles(directions.T, pca.components_.T)))",
        ratio="mse_ae / mse_pca"):
    return EX2_HEAD + f'''
    directions = {directions}
    pca = {pca}
    mse_ae = np.mean((X - reconstructions) ** 2)
    mse_pca = np.mean((X - pca.inverse_transform(pca.transform(X))) ** 2)
    return {{"max_angle_deg": float({angle}), "mse_ratio": float({ratio})}}
'''


# ---------------------------------------------------------------------------- exercise 3

EX3 = "ex3_fit_coding_map"


def ex3(body):
    return '''
def fit_coding_map(pca_codings, ae_codings):
    Z = np.asarray(pca_codings, dtype=np.float64)
    C = np.asarray(ae_codings, dtype=np.float64)
''' + body


WRONG = {
    # exercise 1 ------------------------------------------------------------------------
    "relu_encoder": {
        "why": "a ReLU on the encoder: the autoencoder is no longer linear",
        "cells": {EX1: ex1(encoder='keras.layers.Dense(n_codings, activation="relu")')},
        "caught_by": ["test_ex1_linear"]},
    "no_encoder_bias": {
        "why": "use_bias=False on the encoder: 6 instead of 8 parameters",
        "cells": {EX1: ex1(encoder="keras.layers.Dense(n_codings, use_bias=False)")},
        "caught_by": ["test_ex1_parameter_count"]},
    "hardcoded_sizes": {
        "why": "3-2-3 hard-coded: n_inputs and n_codings are ignored (only the defaults work)",
        "cells": {EX1: '''
def build_linear_autoencoder(n_inputs=3, n_codings=2, learning_rate=0.5):
    encoder = keras.Sequential([keras.layers.Dense(2)])
    decoder = keras.Sequential([keras.layers.Dense(3)])
    autoencoder = keras.Sequential([encoder, decoder])
    autoencoder.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=learning_rate))
    return encoder, decoder, autoencoder
'''},
        "caught_by": ["test_ex1_shapes", "test_ex1_parameter_count"]},
    "copied_layers": {
        "why": "the autoencoder is built from new Dense layers instead of the encoder and decoder",
        "cells": {EX1: ex1(autoencoder="keras.Sequential([keras.Input(shape=(n_inputs,)), "
                                       "keras.layers.Dense(n_codings), keras.layers.Dense(n_inputs)])")},
        "caught_by": ["test_ex1_autoencoder_reuses_encoder_and_decoder"]},
    "built_once": {
        "why": "the models are built once, outside the function, and returned at every call",
        "cells": {EX1: '''
_encoder = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
_decoder = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3)])
_autoencoder = keras.Sequential([_encoder, _decoder])


def build_linear_autoencoder(n_inputs=3, n_codings=2, learning_rate=0.5):
    _autoencoder.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=learning_rate))
    return _encoder, _decoder, _autoencoder
'''},
        "caught_by": ["test_ex1_shapes", "test_ex1_autoencoder_reuses_encoder_and_decoder"]},
    "momentum": {
        "why": "SGD with momentum 0.9: the first step is a plain SGD step, the second is not",
        "cells": {EX1: ex1(optimizer="keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)")},
        "caught_by": ["test_ex1_compiled_sgd_mse"]},
    "learning_rate_ignored": {
        "why": "the learning rate is hard-coded to 0.5: learning_rate is ignored",
        "cells": {EX1: ex1(optimizer="keras.optimizers.SGD(learning_rate=0.5)")},
        "caught_by": ["test_ex1_compiled_sgd_mse"]},
    "sgd_string": {
        "why": 'optimizer="sgd": Keras\' default learning rate 0.01',
        "cells": {EX1: ex1(optimizer='"sgd"')},
        "caught_by": ["test_ex1_compiled_sgd_mse"]},
    "adam": {
        "why": "Adam instead of SGD",
        "cells": {EX1: ex1(optimizer="keras.optimizers.Adam(learning_rate=learning_rate)")},
        "caught_by": ["test_ex1_compiled_sgd_mse"]},
    "mae_loss": {
        "why": "mean absolute error instead of the MSE",
        "cells": {EX1: ex1(loss='"mae"')},
        "caught_by": ["test_ex1_compiled_sgd_mse"]},
    "sum_loss": {
        "why": "a summed squared error (reduction='sum') instead of the mean",
        "cells": {EX1: ex1(loss='keras.losses.MeanSquaredError(reduction="sum")')},
        "caught_by": ["test_ex1_compiled_sgd_mse"]},
    # exercise 2 ------------------------------------------------------------------------
    "encoder_plane": {
        "why": "the angle of the ENCODER's columns instead of the decoder's plane",
        "cells": {EX2: ex2(directions="keras.ops.convert_to_numpy(encoder.layers[-1].kernel).T")},
        "caught_by": ["test_ex2_same_plane", "test_ex2_angles"]},
    "radians": {
        "why": "the angle in radians",
        "cells": {EX2: ex2(angle="np.max(subspace_angles(directions.T, pca.components_.T))")},
        "caught_by": ["test_ex2_angles"]},
    "smallest_angle": {
        "why": "the smallest principal angle instead of the largest",
        "cells": {EX2: ex2(angle="np.degrees(np.min(subspace_angles(directions.T, pca.components_.T)))")},
        "caught_by": ["test_ex2_angles"]},
    "not_transposed": {
        "why": "rows given to subspace_angles, which wants columns: angles between two copies of R^k",
        "cells": {EX2: ex2(angle="np.degrees(np.max(subspace_angles(directions, pca.components_)))")},
        "caught_by": ["test_ex2_angles"]},
    "two_components": {
        "why": "PCA(n_components=2) whatever the number of codings",
        "cells": {EX2: ex2(pca="PCA(n_components=2).fit(X)")},
        "caught_by": ["test_ex2_mse_ratio"]},
    "inverted_ratio": {
        "why": "PCA's MSE divided by the autoencoder's",
        "cells": {EX2: ex2(ratio="mse_pca / mse_ae")},
        "caught_by": ["test_ex2_mse_ratio"]},
    "outputs_with_bias": {
        "why": "decoder(I) taken as the directions, without subtracting decoder(0): the bias tilts them",
        "cells": {EX2: ex2(directions="keras.ops.convert_to_numpy(decoder(np.eye(k, dtype=np.float32)))")},
        "caught_by": ["test_ex2_mse_ratio"]},
    "uncentred_svd": {
        "why": "PCA by an SVD of X without centring it",
        "cells": {EX2: EX2_HEAD + '''
    directions = keras.ops.convert_to_numpy(decoder.layers[-1].kernel)
    V = np.linalg.svd(X.astype(np.float64), full_matrices=False)[2][:k]
    mse_ae = np.mean((X - reconstructions) ** 2)
    mse_pca = np.mean((X - X @ V.T @ V) ** 2)
    return {"max_angle_deg": float(np.degrees(np.max(subspace_angles(directions.T, V.T)))),
            "mse_ratio": float(mse_ae / mse_pca)}
'''},
        "caught_by": ["test_ex2_mse_ratio"]},
    # exercise 3 ------------------------------------------------------------------------
    "no_intercept": {
        "why": "no column of ones: c = 0 and M absorbs what it can",
        "cells": {EX3: ex3('''
    M = np.linalg.lstsq(Z, C, rcond=None)[0]
    return M, np.zeros(C.shape[1])
''')},
        "caught_by": ["test_ex3_exact_map", "test_ex3_least_squares"]},
    "reverse_map": {
        "why": "the map from the codings to PCA's coordinates instead",
        "cells": {EX3: ex3('''
    solution = np.linalg.lstsq(np.hstack([C, np.ones((len(C), 1))]), Z, rcond=None)[0]
    return solution[:-1], solution[-1]
''')},
        "caught_by": ["test_ex3_exact_map", "test_ex3_least_squares"]},
    "ones_first": {
        "why": "the column of ones put first, but c still read from the last row",
        "cells": {EX3: ex3('''
    solution = np.linalg.lstsq(np.hstack([np.ones((len(Z), 1)), Z]), C, rcond=None)[0]
    return solution[:-1], solution[-1]
''')},
        "caught_by": ["test_ex3_exact_map", "test_ex3_least_squares"]},
    "sklearn_coef_untransposed": {
        "why": "scikit-learn's coef_ (shape (outputs, inputs)) used as M without transposing",
        "cells": {EX3: ex3('''
    from sklearn.linear_model import LinearRegression
    fit = LinearRegression().fit(Z, C)
    return fit.coef_, fit.intercept_
''')},
        "caught_by": ["test_ex3_exact_map", "test_ex3_least_squares"]},
    "intercept_mean_only": {
        "why": "M fitted on centred data, but c taken as the mean of the codings (forgetting mean(Z) M)",
        "cells": {EX3: ex3('''
    M = np.linalg.lstsq(Z - Z.mean(axis=0), C - C.mean(axis=0), rcond=None)[0]
    return M, C.mean(axis=0)
''')},
        "caught_by": ["test_ex3_exact_map", "test_ex3_least_squares"]},
}

RIGHT = {
    "textbook_tf_keras": {
        "why": "the textbook's code (Hands-On ML 3rd ed., ch. 17): tf.keras, no Input, the models "
               "are built on their first call",
        "cells": {EX1: '''
def build_linear_autoencoder(n_inputs=3, n_codings=2, learning_rate=0.5):
    encoder = tf.keras.Sequential([tf.keras.layers.Dense(n_codings)])
    decoder = tf.keras.Sequential([tf.keras.layers.Dense(n_inputs)])
    autoencoder = tf.keras.Sequential([encoder, decoder])
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    autoencoder.compile(loss="mse", optimizer=optimizer)
    return encoder, decoder, autoencoder
''',
                  EX2: EX2_HEAD + '''
    W_dec = decoder.weights[0].numpy()  # (k, n_inputs): rows span the plane
    pca = PCA(n_components=k)
    pca.fit(X)
    angles = np.degrees(subspace_angles(W_dec.T, pca.components_.T))
    mse_pca = ((X - pca.inverse_transform(pca.transform(X))) ** 2).mean()
    return {"max_angle_deg": float(angles.max()),
            "mse_ratio": float(((X - reconstructions) ** 2).mean() / mse_pca)}
''',
                  EX3: ex3('''
    from sklearn.linear_model import LinearRegression
    fit = LinearRegression().fit(Z, C)
    return fit.coef_.T, fit.intercept_
''')}},
    "input_shape_functional": {
        "why": "input_shape= on the first layer (Keras 3 warns) and a functional autoencoder; "
               "MeanSquaredError object, SGD with momentum=0.0 spelled out; NumPy principal "
               "angles and PCA by SVD of the centred data; centred least squares",
        "cells": {EX1: '''
def build_linear_autoencoder(n_inputs=3, n_codings=2, learning_rate=0.5):
    encoder = keras.Sequential([keras.layers.Dense(n_codings, input_shape=(n_inputs,))])
    decoder = keras.Sequential([keras.layers.Dense(n_inputs, input_shape=[n_codings])])
    inputs = keras.Input(shape=(n_inputs,))
    autoencoder = keras.Model(inputs, decoder(encoder(inputs)))
    autoencoder.compile(loss=keras.losses.MeanSquaredError(),
                        optimizer=keras.optimizers.SGD(learning_rate, momentum=0.0))
    return encoder, decoder, autoencoder
''',
                  EX2: EX2_HEAD + '''
    # directions from outputs only: decoder(I) - decoder(0)
    origin = np.asarray(decoder(np.zeros((1, k), dtype=np.float32)))
    D = np.asarray(decoder(np.eye(k, dtype=np.float32))) - origin
    Xc = X.astype(np.float64) - X.mean(axis=0)
    V = np.linalg.svd(Xc, full_matrices=False)[2][:k]  # rows: principal directions
    Q1 = np.linalg.qr(D.T.astype(np.float64))[0]
    cosines = np.linalg.svd(Q1.T @ V.T, compute_uv=False)
    max_angle = np.degrees(np.arccos(np.clip(cosines.min(), -1, 1)))
    mse_pca = np.mean((Xc - Xc @ V.T @ V) ** 2)
    mse_ae = np.mean((X - reconstructions) ** 2)
    return {"max_angle_deg": max_angle, "mse_ratio": mse_ae / mse_pca}
''',
                  EX3: ex3('''
    z_mean, c_mean = Z.mean(axis=0), C.mean(axis=0)
    M = np.linalg.pinv(Z - z_mean) @ (C - c_mean)
    return M, c_mean - z_mean @ M
''')}},
    "subclassed_model": {
        "why": "a subclassed autoencoder model that calls the encoder and decoder, ops from keras.ops",
        "cells": {EX1: '''
class LinearAutoencoder(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder

    def call(self, inputs):
        return self.decoder(self.encoder(inputs))


def build_linear_autoencoder(n_inputs=3, n_codings=2, learning_rate=0.5):
    encoder = keras.Sequential([keras.Input((n_inputs,)), keras.layers.Dense(n_codings, activation=None)])
    decoder = keras.Sequential([keras.Input((n_codings,)), keras.layers.Dense(n_inputs, activation="linear")])
    autoencoder = LinearAutoencoder(encoder, decoder)
    autoencoder.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
                        loss="mean_squared_error")
    return encoder, decoder, autoencoder
''',
                  EX3: ex3('''
    A = np.concatenate([Z, np.ones_like(Z[:, :1])], axis=1)
    solution = np.linalg.pinv(A) @ C
    return solution[:-1], solution[-1]
''')}},
}
