"""Plausible wrong answers and correct answers in other styles for lesson 09_gans_on_images.

Each WRONG variant must lose points in its ``caught_by`` test cells; each RIGHT variant must earn
full marks. Check with ``aecourse variants 09_gans_on_images``.
"""

# --- Exercise 1: build_dcgan_generator ----------------------------------------------------------

_GEN = '''
def build_dcgan_generator(codings_size=100):
    return keras.Sequential([
        keras.Input(shape=(codings_size,)),
        keras.layers.Dense({side} * {side} * 64),
        keras.layers.Reshape(({side}, {side}, 64)),
        {norm1}
        keras.layers.Conv2DTranspose(32, kernel_size=5, strides={stride1}, padding="same",
                                     activation="relu"),
        {norm2}
        keras.layers.Conv2DTranspose(1, kernel_size=5, strides={stride2}, padding="same",
                                     activation={out}),
    ])
'''


def _gen(side=7, norm=True, stride1=2, stride2=2, out='"tanh"'):
    bn = "keras.layers.BatchNormalization()," if norm else ""
    return _GEN.format(side=side, norm1=bn, norm2=bn, stride1=stride1, stride2=stride2, out=out)


WRONG = {
    "gen_sigmoid_output": {
        "why": "sigmoid output: pixels in (0, 1) while the data is scaled to [-1, 1]",
        "cells": {"ex1_generator": _gen(out='"sigmoid"')},
        "caught_by": ["test_ex1_generator_range"],
    },
    "gen_linear_output": {
        "why": "no activation on the output: pixels are not bounded to [-1, 1]",
        "cells": {"ex1_generator": _gen(out="None")},
        "caught_by": ["test_ex1_generator_range"],
    },
    "gen_relu_output": {
        "why": "ReLU on the output, as on the hidden layers: no negative pixel",
        "cells": {"ex1_generator": _gen(out='"relu"')},
        "caught_by": ["test_ex1_generator_range"],
    },
    "gen_no_batch_norm": {
        "why": "no batch normalisation in the generator",
        "cells": {"ex1_generator": _gen(norm=False)},
        "caught_by": ["test_ex1_generator_upsampling"],
    },
    "gen_no_stride": {
        "why": "transposed convolutions of stride 1: the images stay 7x7",
        "cells": {"ex1_generator": _gen(stride1=1, stride2=1)},
        "caught_by": ["test_ex1_generator_shapes", "test_ex1_generator_upsampling"],
    },
    "gen_starts_at_14": {
        "why": "reshaped to 14x14 and upsampled once by 2 with a stride-1 layer after it: the "
               "right output shape, but not the 7 -> 14 -> 28 of the recipe",
        "cells": {"ex1_generator": _gen(side=14, stride1=2, stride2=1)},
        "caught_by": ["test_ex1_generator_upsampling"],
    },
    "gen_upsampling_layers": {
        "why": "UpSampling2D followed by stride-1 convolutions instead of stride-2 transposed "
               "convolutions",
        "cells": {"ex1_generator": '''
def build_dcgan_generator(codings_size=100):
    return keras.Sequential([
        keras.Input(shape=(codings_size,)),
        keras.layers.Dense(7 * 7 * 64),
        keras.layers.Reshape((7, 7, 64)),
        keras.layers.BatchNormalization(),
        keras.layers.UpSampling2D(),
        keras.layers.Conv2D(32, 5, padding="same", activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.UpSampling2D(),
        keras.layers.Conv2D(1, 5, padding="same", activation="tanh"),
    ])
'''},
        "caught_by": ["test_ex1_generator_upsampling"],
    },
    "gen_ignores_codings_size": {
        "why": "the input size is fixed at 100 whatever codings_size says",
        "cells": {"ex1_generator": _gen().replace("shape=(codings_size,)", "shape=(100,)")},
        "caught_by": ["test_ex1_generator_range", "test_ex1_generator_upsampling",
                      "test_ex1_generator_trains"],
    },
    "gen_no_channel_axis": {
        "why": "a final Reshape to (28, 28): images without their channel axis",
        "cells": {"ex1_generator": _gen().replace(
            'activation="tanh"),', 'activation="tanh"),\n        keras.layers.Reshape((28, 28)),')},
        "caught_by": ["test_ex1_generator_shapes"],
    },
}

# --- Exercise 2: build_dcgan_discriminator --------------------------------------------------------

_DISC = '''
def build_dcgan_discriminator():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, kernel_size=5, strides={stride}, padding="same"),
        keras.layers.LeakyReLU(0.2),
        {pool}
        keras.layers.Dropout(0.3),
        keras.layers.Conv2D(64, kernel_size=5, strides={stride}, padding="same"),
        keras.layers.LeakyReLU(0.2),
        {pool}
        keras.layers.Dropout(0.3),
        keras.layers.Flatten(),
        keras.layers.Dense(1, activation={out}),
    ])
'''


def _disc(stride=2, pool="", out="None"):
    return _DISC.format(stride=stride, pool=pool, out=out)


WRONG.update({
    "disc_sigmoid_output": {
        "why": "a sigmoid on the output: probabilities where the losses expect logits",
        "cells": {"ex2_discriminator": _disc(out='"sigmoid"')},
        "caught_by": ["test_ex2_discriminator_logits"],
    },
    "disc_relu_output": {
        "why": "ReLU on the output layer: logits can never be negative",
        "cells": {"ex2_discriminator": _disc(out='"relu"')},
        "caught_by": ["test_ex2_discriminator_logits"],
    },
    "disc_pooling": {
        "why": "stride-1 convolutions followed by max pooling instead of strided convolutions",
        "cells": {"ex2_discriminator": _disc(stride=1, pool="keras.layers.MaxPooling2D(),")},
        "caught_by": ["test_ex2_discriminator_strides"],
    },
    "disc_no_stride": {
        "why": "stride-1 convolutions: the maps stay 28x28 and the dense layer is huge",
        "cells": {"ex2_discriminator": _disc(stride=1)},
        "caught_by": ["test_ex2_discriminator_strides"],
    },
    "disc_ten_outputs": {
        "why": "a 10-unit output, as for the classifier of earlier lessons",
        "cells": {"ex2_discriminator": _disc().replace("Dense(1,", "Dense(10,")},
        "caught_by": ["test_ex2_discriminator_shapes"],
    },
    "disc_no_flatten": {
        "why": "no Flatten: the Dense layer outputs one logit per position of the 7x7 maps",
        "cells": {"ex2_discriminator": _disc().replace("keras.layers.Flatten(),", "")},
        "caught_by": ["test_ex2_discriminator_shapes"],
    },
})

# --- Exercise 3: mode_shares, modes_covered ------------------------------------------------------

_COVERED_OK = '''

def modes_covered(samples, centres, std, min_share=1 / 32):
    return int(np.sum(mode_shares(samples, centres, std) >= min_share))
'''
_SHARES_OK = '''
def mode_shares(samples, centres, std):
    d = np.linalg.norm(np.asarray(samples)[:, None, :] - np.asarray(centres)[None], axis=2)
    return (d <= 3 * std).mean(axis=0)

'''

WRONG.update({
    "shares_strict_threshold": {
        "why": "distance < 3 std: samples exactly at 3 std are left out",
        "cells": {"ex3_modes": _SHARES_OK.replace("<= 3 * std", "< 3 * std") + _COVERED_OK},
        "caught_by": ["test_ex3_mode_shares"],
    },
    "shares_squared_distance": {
        "why": "squared distance compared with 3 std (wrong units)",
        "cells": {"ex3_modes": '''
def mode_shares(samples, centres, std):
    d2 = ((np.asarray(samples)[:, None, :] - np.asarray(centres)[None]) ** 2).sum(axis=2)
    return (d2 <= 3 * std).mean(axis=0)
''' + _COVERED_OK},
        "caught_by": ["test_ex3_mode_shares"],
    },
    "shares_one_std": {
        "why": "within 1 std instead of 3",
        "cells": {"ex3_modes": _SHARES_OK.replace("<= 3 * std", "<= std") + _COVERED_OK},
        "caught_by": ["test_ex3_mode_shares"],
    },
    "shares_of_on_mode_samples": {
        "why": "shares as fractions of the samples that land on some mode, not of all samples",
        "cells": {"ex3_modes": '''
def mode_shares(samples, centres, std):
    d = np.linalg.norm(np.asarray(samples)[:, None, :] - np.asarray(centres)[None], axis=2)
    hits = (d <= 3 * std).sum(axis=0)
    return hits / max(hits.sum(), 1)
''' + _COVERED_OK},
        "caught_by": ["test_ex3_mode_shares"],
    },
    "shares_counts": {
        "why": "counts of samples per mode instead of fractions",
        "cells": {"ex3_modes": _SHARES_OK.replace(".mean(axis=0)", ".sum(axis=0)")
                  + _COVERED_OK},
        "caught_by": ["test_ex3_mode_shares"],
    },
    "covered_strict_threshold": {
        "why": "share > min_share: a mode holding exactly min_share is not counted",
        "cells": {"ex3_modes": _SHARES_OK + _COVERED_OK.replace(">= min_share", "> min_share")},
        "caught_by": ["test_ex3_modes_covered"],
    },
    "covered_counts_samples": {
        "why": "counts the samples on covered modes instead of the modes",
        "cells": {"ex3_modes": _SHARES_OK + '''
def modes_covered(samples, centres, std, min_share=1 / 32):
    shares = mode_shares(samples, centres, std)
    return int(round(shares[shares >= min_share].sum() * len(samples)))
'''},
        "caught_by": ["test_ex3_modes_covered"],
    },
    "covered_ignores_min_share": {
        "why": "a fixed threshold of 1/32 whatever min_share says",
        "cells": {"ex3_modes": _SHARES_OK + _COVERED_OK.replace(">= min_share", ">= 1 / 32")},
        "caught_by": ["test_ex3_modes_covered"],
    },
})

# --- Exercise 4: MinibatchStdDev -----------------------------------------------------------------

_MB = '''
class MinibatchStdDev(keras.layers.Layer):
    def call(self, x):
{body}
'''


def _mb(body):
    return _MB.format(body="\n".join("        " + line for line in body.strip().splitlines()))


WRONG.update({
    "mbstd_wrong_axis": {
        "why": "the standard deviation over the features of each instance, not over the batch",
        "cells": {"ex4_mbstd": _mb('''
std = keras.ops.sqrt(keras.ops.var(x, axis=-1, keepdims=True) + 1e-8)
return keras.ops.concatenate([x, std], axis=-1)
''')},
        "caught_by": ["test_ex4_mbstd_values", "test_ex4_mbstd_in_model"],
    },
    "mbstd_variance": {
        "why": "the variance instead of the standard deviation",
        "cells": {"ex4_mbstd": _mb('''
value = keras.ops.mean(keras.ops.var(x, axis=0) + 1e-8)
return keras.ops.concatenate([x, keras.ops.ones_like(x[..., :1]) * value], axis=-1)
''')},
        "caught_by": ["test_ex4_mbstd_values"],
    },
    "mbstd_no_epsilon": {
        "why": "no 1e-8 under the square root: an infinite gradient when all instances agree",
        "cells": {"ex4_mbstd": _mb('''
value = keras.ops.mean(keras.ops.sqrt(keras.ops.var(x, axis=0)))
return keras.ops.concatenate([x, keras.ops.ones_like(x[..., :1]) * value], axis=-1)
''')},
        "caught_by": ["test_ex4_mbstd_gradients"],
    },
    "mbstd_sample_std": {
        "why": "the sample standard deviation (divides by n - 1)",
        "cells": {"ex4_mbstd": _mb('''
n = keras.ops.cast(keras.ops.shape(x)[0], x.dtype)
var = keras.ops.sum(keras.ops.square(x - keras.ops.mean(x, axis=0)), axis=0) / (n - 1)
value = keras.ops.mean(keras.ops.sqrt(var + 1e-8))
return keras.ops.concatenate([x, keras.ops.ones_like(x[..., :1]) * value], axis=-1)
''')},
        "caught_by": ["test_ex4_mbstd_values"],
    },
    "mbstd_per_feature_not_averaged": {
        "why": "appends the per-feature standard deviations (one per feature) instead of their "
               "mean",
        "cells": {"ex4_mbstd": _mb('''
std = keras.ops.sqrt(keras.ops.var(x, axis=0, keepdims=True) + 1e-8)
return keras.ops.concatenate([x, keras.ops.ones_like(x) * std], axis=-1)
''')},
        "caught_by": ["test_ex4_mbstd_values"],
    },
    "mbstd_not_broadcast": {
        "why": "appends the number as one extra row of the batch instead of a feature of every "
               "instance",
        "cells": {"ex4_mbstd": _mb('''
value = keras.ops.mean(keras.ops.sqrt(keras.ops.var(x, axis=0) + 1e-8))
return keras.ops.concatenate([x, keras.ops.ones_like(x[:1]) * value], axis=0)
''')},
        "caught_by": ["test_ex4_mbstd_values", "test_ex4_mbstd_in_model"],
    },
    "mbstd_numpy": {
        "why": "computed with NumPy: no gradient, and no graph inside a compiled step",
        "cells": {"ex4_mbstd": _mb('''
x = np.asarray(x)
value = np.sqrt(x.var(axis=0) + 1e-8).mean()
return np.concatenate([x, np.full(x.shape[:-1] + (1,), value, dtype=x.dtype)], axis=-1)
''')},
        "caught_by": ["test_ex4_mbstd_gradients"],
    },
    "mbstd_mean_over_last_axis_only": {
        "why": "averages the standard deviations over the channels only: for images each "
               "position gets its own number",
        "cells": {"ex4_mbstd": _mb('''
std = keras.ops.sqrt(keras.ops.var(x, axis=0) + 1e-8)
value = keras.ops.mean(std, axis=-1, keepdims=True)
return keras.ops.concatenate([x, keras.ops.ones_like(x[..., :1]) * value], axis=-1)
''')},
        "caught_by": ["test_ex4_mbstd_values"],
    },
})

# --- Right answers, in the styles students write --------------------------------------------------

RIGHT = {
    "functional_and_tf_ops": {
        "why": "functional models, activations as separate layers, tf.keras names, fewer "
               "filters and 4x4 kernels, tf ops in the layer, squared distances expanded "
               "with a dot product",
        "cells": {
            "ex1_generator": '''
def build_dcgan_generator(codings_size=100):
    z = tf.keras.Input(shape=(codings_size,))
    x = tf.keras.layers.Dense(7 * 7 * 32, use_bias=False)(z)
    x = tf.keras.layers.Reshape((7, 7, 32))(x)
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.Activation("relu")(x)
    x = tf.keras.layers.Conv2DTranspose(16, (4, 4), strides=(2, 2), padding="same")(x)
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.ReLU()(x)
    x = tf.keras.layers.Conv2DTranspose(1, (4, 4), strides=(2, 2), padding="same")(x)
    images = tf.keras.layers.Activation("tanh")(x)
    return tf.keras.Model(z, images)
''',
            "ex2_discriminator": '''
def build_dcgan_discriminator():
    images = tf.keras.Input(shape=(28, 28, 1))
    x = tf.keras.layers.Conv2D(16, 3, strides=2, padding="same")(images)
    x = tf.keras.layers.LeakyReLU(negative_slope=0.2)(x)
    x = tf.keras.layers.Conv2D(32, 3, strides=2, padding="same")(x)
    x = tf.keras.layers.BatchNormalization()(x)
    x = tf.keras.layers.LeakyReLU(negative_slope=0.2)(x)
    x = tf.keras.layers.Flatten()(x)
    return tf.keras.Model(images, tf.keras.layers.Dense(1)(x))
''',
            "ex3_modes": '''
def mode_shares(samples, centres, std):
    s = np.asarray(samples, dtype=np.float64)
    c = np.asarray(centres, dtype=np.float64)
    d2 = (s ** 2).sum(1)[:, None] - 2 * s @ c.T + (c ** 2).sum(1)[None, :]
    return np.sum(d2 <= (3 * std) ** 2, axis=0) / len(s)


def modes_covered(samples, centres, std, min_share=1 / 32):
    count = 0
    for share in mode_shares(samples, centres, std):
        if share >= min_share:
            count += 1
    return count
''',
            "ex4_mbstd": '''
class MinibatchStdDev(tf.keras.layers.Layer):
    def call(self, x):
        mean = tf.reduce_mean(x, axis=0, keepdims=True)
        std = tf.sqrt(tf.reduce_mean(tf.square(x - mean), axis=0) + 1e-8)
        value = tf.reduce_mean(std)
        shape = tf.concat([tf.shape(x)[:-1], [1]], axis=0)
        return tf.concat([x, tf.fill(shape, value)], axis=-1)
''',
        },
    },
    "sequential_keras_ops": {
        "why": "nested Sequential blocks, activation strings, the textbook's 128/64 filters and "
               "BatchNormalization in the discriminator, keras.ops everywhere, variance through "
               "E[x^2] - E[x]^2 and broadcast_to",
        "cells": {
            "ex1_generator": '''
def build_dcgan_generator(codings_size=100):
    head = keras.Sequential([keras.Input(shape=(codings_size,)),
                             keras.layers.Dense(7 * 7 * 128, activation="relu"),
                             keras.layers.Reshape([7, 7, 128]),
                             keras.layers.BatchNormalization()])
    body = keras.Sequential([
        keras.Input(shape=(7, 7, 128)),
        keras.layers.Conv2DTranspose(64, 5, 2, "same", activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Conv2DTranspose(1, 5, 2, "same", activation="tanh"),
    ])
    return keras.Sequential([keras.Input(shape=(codings_size,)), head, body])
''',
            "ex2_discriminator": '''
def build_dcgan_discriminator():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(64, 5, 2, "same", activation="leaky_relu"),
        keras.layers.Dropout(0.4),
        keras.layers.Conv2D(128, 5, 2, "same"),
        keras.layers.BatchNormalization(),
        keras.layers.LeakyReLU(0.2),
        keras.layers.Dropout(0.4),
        keras.layers.Flatten(),
        keras.layers.Dense(1, activation="linear"),
    ])
''',
            "ex3_modes": '''
def mode_shares(samples, centres, std):
    samples = np.asarray(samples, dtype=np.float64)
    out = np.zeros(len(centres))
    for j, c in enumerate(np.asarray(centres, dtype=np.float64)):
        out[j] = np.count_nonzero(np.linalg.norm(samples - c, axis=1) <= 3 * std) / len(samples)
    return out


def modes_covered(samples, centres, std, min_share=1 / 32):
    return len([s for s in mode_shares(samples, centres, std) if not s < min_share])
''',
            "ex4_mbstd": '''
class MinibatchStdDev(keras.layers.Layer):
    def call(self, x):
        mean_sq = keras.ops.mean(keras.ops.square(x), axis=0)
        sq_mean = keras.ops.square(keras.ops.mean(x, axis=0))
        std = keras.ops.sqrt(keras.ops.maximum(mean_sq - sq_mean, 0.0) + 1e-8)
        value = keras.ops.mean(std)
        extra = keras.ops.broadcast_to(keras.ops.reshape(value, (1,) * len(x.shape)),
                                       tuple(keras.ops.shape(x)[:-1]) + (1,))
        return keras.ops.concatenate([x, extra], axis=-1)
''',
        },
    },
}
