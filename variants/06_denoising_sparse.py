"""Other answers to lesson 6's exercises: plausible wrong ones and correct ones in other styles.

Format: see aecourse/variants.py. Check with `aecourse variants 06_denoising_sparse`.
Each exercise keeps its most plausible wrong answers, each a different mistake, and right
answers in the styles students write (the textbook's `tf.keras` code among them).
"""

# --------------------------------------------------------------------------- exercise 1
EX1 = "ex1_reconstruction_mse"

EX1_MEAN_OF_BATCH_MEANS = '''
def reconstruction_mse(model, X_input, X_target, batch_size=256):
    batch_mses = []
    for start in range(0, len(X_input), batch_size):
        reconstructions = np.asarray(model(X_input[start:start + batch_size], training=False))
        batch_mses.append(np.mean((reconstructions - X_target[start:start + batch_size]) ** 2))
    return float(np.mean(batch_mses))
'''

EX1_WHOLE_SET = '''
def reconstruction_mse(model, X_input, X_target, batch_size=256):
    reconstructions = keras.ops.convert_to_numpy(model(X_input, training=False))
    return float(np.mean((reconstructions - X_target) ** 2))
'''

EX1_TRAINING_MODE = '''
def reconstruction_mse(model, X_input, X_target, batch_size=256):
    total, count = 0.0, 0
    for start in range(0, len(X_input), batch_size):
        batch = X_input[start:start + batch_size]
        reconstructions = keras.ops.convert_to_numpy(model(batch, training=True))
        errors = reconstructions - X_target[start:start + batch_size]
        total += float(np.sum(errors ** 2))
        count += errors.size
    return total / count
'''

EX1_PREDICT = '''
def reconstruction_mse(model, X_input, X_target, batch_size=256):
    reconstructions = model.predict(X_input, batch_size=batch_size, verbose=0)
    return float(np.mean(np.square(reconstructions - X_target)))
'''

# --------------------------------------------------------------------------- exercise 2
EX2 = "ex2_add_gaussian_noise"


def noise_layer(init, call):
    return f'''
class AddGaussianNoise(keras.layers.Layer):
    def __init__(self, stddev, **kwargs):
        super().__init__(**kwargs)
{init}

    def call(self, inputs, training=None):
{call}
'''


INIT = '''        self.stddev = stddev
        self.seed_generator = keras.random.SeedGenerator()'''

EX2_ALWAYS = noise_layer(INIT, '''
        return inputs + keras.random.normal(keras.ops.shape(inputs), stddev=self.stddev,
                                            seed=self.seed_generator)'''.strip("\n"))

EX2_STDDEV_IGNORED = noise_layer(INIT, '''        if training:
            return inputs + keras.random.normal(keras.ops.shape(inputs), seed=self.seed_generator)
        return inputs''')

EX2_FIXED_SEED = noise_layer('''        self.stddev = stddev''', '''        if training:
            noise = keras.random.normal(keras.ops.shape(inputs), stddev=self.stddev, seed=42)
            return inputs + noise
        return inputs''')

EX2_NUMPY = noise_layer('''        self.stddev = stddev''', '''        if training:
            return inputs + np.random.normal(0.0, self.stddev, size=inputs.shape).astype("float32")
        return inputs''')

EX2_TF_RANDOM = '''
class AddGaussianNoise(tf.keras.layers.Layer):
    def __init__(self, stddev, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev

    def call(self, inputs, training=None):
        if training:
            return inputs + tf.random.normal(tf.shape(inputs), stddev=self.stddev)
        return inputs
'''

EX2_IS_TRUE = '''
class AddGaussianNoise(keras.layers.Layer):
    def __init__(self, stddev, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.rng = keras.random.SeedGenerator(seed=7)

    def call(self, inputs, training=None):
        if training is True:
            noise = keras.random.normal(shape=keras.ops.shape(inputs), mean=0.0,
                                        stddev=self.stddev, seed=self.rng)
            inputs = inputs + noise
        return inputs
'''

# --------------------------------------------------------------------------- exercise 3
EX3 = "ex3_build_denoising_autoencoder"


def denoising(encoder_layers, decoder_head="keras.Input((layer_sizes[-1],)),",
              output='keras.layers.Dense(28 * 28)'):
    return f'''
def build_denoising_autoencoder(stddev=0.5, layer_sizes=(100, 30)):
    encoder = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(),
         {encoder_layers}])
    decoder = keras.Sequential(
        [{decoder_head}
         *[keras.layers.Dense(n, activation="relu") for n in layer_sizes[-2::-1]],
         {output}, keras.layers.Reshape((28, 28))])
    return encoder, decoder, keras.Sequential([encoder, decoder])
'''


DENSES = '*[keras.layers.Dense(n, activation="relu") for n in layer_sizes]'

EX3_NOISE_ON_CODINGS = denoising(f'{DENSES}, AddGaussianNoise(stddev)')
EX3_LESSON_STDDEV = denoising(f'AddGaussianNoise(NOISE_STDDEV), {DENSES}')

# reversed(layer_sizes) instead of layer_sizes[-2::-1]: the decoder repeats the codings' size.
EX3_DECODER_NOT_MIRRORED = '''
def build_denoising_autoencoder(stddev=0.5, layer_sizes=(100, 30)):
    encoder = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                AddGaussianNoise(stddev),
                                *[keras.layers.Dense(n, activation="relu") for n in layer_sizes]])
    decoder = keras.Sequential([keras.Input((layer_sizes[-1],)),
                                *[keras.layers.Dense(n, activation="relu")
                                  for n in reversed(layer_sizes)],
                                keras.layers.Dense(28 * 28), keras.layers.Reshape((28, 28))])
    return encoder, decoder, keras.Sequential([encoder, decoder])
'''

EX3_NOISE_FORCED_ON = '''
def build_denoising_autoencoder(stddev=0.5, layer_sizes=(100, 30)):
    inputs = keras.Input((28, 28))
    z = keras.layers.Flatten()(inputs)
    z = keras.layers.GaussianNoise(stddev)(z, training=True)  # "make sure the noise is applied"
    for n in layer_sizes:
        z = keras.layers.Dense(n, activation="relu")(z)
    encoder = keras.Model(inputs, z)
    codings = keras.Input((layer_sizes[-1],))
    h = codings
    for n in layer_sizes[-2::-1]:
        h = keras.layers.Dense(n, activation="relu")(h)
    outputs = keras.layers.Reshape((28, 28))(keras.layers.Dense(784)(h))
    decoder = keras.Model(codings, outputs)
    return encoder, decoder, keras.Model(inputs, decoder(encoder(inputs)))
'''

EX3_TEXTBOOK_STYLE = '''
def build_denoising_autoencoder(stddev=0.5, layer_sizes=(100, 30)):
    encoder = tf.keras.Sequential([
        tf.keras.layers.Flatten(input_shape=[28, 28]),
        tf.keras.layers.GaussianNoise(stddev),
        *[tf.keras.layers.Dense(n, activation="relu") for n in layer_sizes],
    ])
    decoder = tf.keras.Sequential([
        *[tf.keras.layers.Dense(n, activation="relu") for n in layer_sizes[-2::-1]],
        tf.keras.layers.Dense(28 * 28),
        tf.keras.layers.Reshape([28, 28]),
    ])  # no input shape: built on its first call
    autoencoder = tf.keras.Sequential([encoder, decoder])
    return encoder, decoder, autoencoder
'''

# Reuses the plain autoencoder of the lesson's helper cell: noise on the 28x28 images, then it.
EX3_REUSE_PLAIN = '''
def build_denoising_autoencoder(stddev=0.5, layer_sizes=(100, 30)):
    plain_encoder, decoder, _ = build_autoencoder(layer_sizes)
    encoder = keras.Sequential([keras.Input((28, 28)), AddGaussianNoise(stddev), plain_encoder])
    return encoder, decoder, keras.Sequential([encoder, decoder])
'''

# --------------------------------------------------------------------------- exercise 4
EX4 = "ex4_kl_regularizer"


def kl_class(body, base="keras.regularizers.Regularizer", header=""):
    return f'''{header}
class KLDivergenceRegularizer({base}):
    def __init__(self, weight, target):
        self.weight = weight
        self.target = target

    def __call__(self, inputs):
{body}

    def get_config(self):
        return {{"weight": self.weight, "target": self.target}}
'''


def kl_ops(q="keras.ops.mean(inputs, axis=0)", clip=True, terms=None, result=None):
    clip_line = "        q = keras.ops.clip(q, 1e-7, 1 - 1e-7)\n" if clip else ""
    terms = terms or ("p * keras.ops.log(p / q) + (1 - p) * keras.ops.log((1 - p) / (1 - q))")
    result = result or "self.weight * keras.ops.sum(kl)"
    return (f"        q = {q}\n{clip_line}        p = self.target\n"
            f"        kl = {terms}\n        return {result}")


EX4_REVERSED = kl_class(kl_ops(
    terms="q * keras.ops.log(q / p) + (1 - q) * keras.ops.log((1 - q) / (1 - p))"))
EX4_MEAN_OVER_UNITS = kl_class(kl_ops(q="keras.ops.mean(inputs, axis=1)"))
EX4_MEAN_OF_KL = kl_class(kl_ops(result="self.weight * keras.ops.mean(kl)"))
EX4_NO_CLIP = kl_class(kl_ops(clip=False))

EX4_TEXTBOOK = kl_class('''        mean_activities = tf.reduce_mean(inputs, axis=0)
        return self.weight * (
            kl_divergence(self.target, mean_activities) +
            kl_divergence(1. - self.target, 1. - mean_activities))''',
                        base="tf.keras.regularizers.Regularizer",
                        header="kl_divergence = tf.keras.losses.kullback_leibler_divergence\n")
EX4_TF_MATH = kl_class('''
        q = tf.clip_by_value(tf.reduce_mean(inputs, axis=0),
                             1e-6, 1.0 - 1e-6)
        p = tf.constant(self.target, dtype=q.dtype)
        kl = p * tf.math.log(p) - p * tf.math.log(q) \\
            + (1 - p) * tf.math.log(1 - p) - (1 - p) * tf.math.log(1 - q)
        return tf.reduce_sum(kl) * self.weight'''.strip("\n"))

# --------------------------------------------------------------------------- exercise 5a
EX5A = "ex5a_build_sparse_autoencoder"


def sparse(hidden='keras.layers.Dense(100, activation="relu")',
           codings='keras.layers.Dense(codings_size, activation="sigmoid", '
                   'activity_regularizer=activity_regularizer)'):
    return f'''
def build_sparse_autoencoder(activity_regularizer=None, codings_size=300):
    encoder = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                {hidden},
                                {codings}])
    decoder = keras.Sequential([keras.Input((codings_size,)),
                                keras.layers.Dense(100, activation="relu"),
                                keras.layers.Dense(784), keras.layers.Reshape((28, 28))])
    return encoder, decoder, keras.Sequential([encoder, decoder])
'''


EX5A_KERNEL_REGULARIZER = sparse(
    codings='keras.layers.Dense(codings_size, activation="sigmoid", '
            'kernel_regularizer=activity_regularizer)')
EX5A_ON_HIDDEN_LAYER = sparse(
    hidden='keras.layers.Dense(100, activation="relu", activity_regularizer=activity_regularizer)',
    codings='keras.layers.Dense(codings_size, activation="sigmoid")')
EX5A_FIXED_L1 = sparse(
    codings='keras.layers.Dense(codings_size, activation="sigmoid", '
            'activity_regularizer=keras.regularizers.l1(1e-4))')

EX5A_TEXTBOOK_STYLE = '''
def build_sparse_autoencoder(activity_regularizer=None, codings_size=300):
    sparse_encoder = tf.keras.Sequential([
        tf.keras.layers.Flatten(input_shape=[28, 28]),
        tf.keras.layers.Dense(100, activation="relu"),
        tf.keras.layers.Dense(codings_size, activation="sigmoid",
                              activity_regularizer=activity_regularizer)
    ])
    sparse_decoder = tf.keras.Sequential([
        tf.keras.layers.Dense(100, activation="relu", input_shape=[codings_size]),
        tf.keras.layers.Dense(28 * 28),
        tf.keras.layers.Reshape([28, 28])
    ])
    sparse_ae = tf.keras.Sequential([sparse_encoder, sparse_decoder])
    return sparse_encoder, sparse_decoder, sparse_ae
'''

# --------------------------------------------------------------------------- exercise 5b
EX5B = "ex5b_coding_activity"


def activity(body):
    return f'''
def coding_activity(codings, threshold=0.05):
{body}
'''


EX5B_PER_IMAGE = activity('''    means = np.mean(codings, axis=1)
    return means, float(np.mean(means < threshold))''')
EX5B_ELEMENTWISE = activity('''    means = np.mean(codings, axis=0)
    return means, float(np.mean(np.asarray(codings) < threshold))''')
EX5B_THRESHOLD_IGNORED = activity('''    means = np.mean(codings, axis=0)
    return means, float(np.mean(means < 0.05))''')

EX5B_LOOP = activity('''    codings = np.asarray(codings)
    n_images, n_units = codings.shape
    means = np.array([codings[:, j].sum() / n_images for j in range(n_units)])
    rare = 0
    for m in means:
        if m < threshold:
            rare += 1
    return means, rare / n_units''')

# --------------------------------------------------------------------------- the tables
WRONG = {
    # exercise 1
    "ex1_mean_of_batch_means": {
        "why": "averages the batch means: the smaller last batch weighs too much",
        "cells": {EX1: EX1_MEAN_OF_BATCH_MEANS}, "caught_by": ["test_ex1_values"]},
    "ex1_whole_set": {
        "why": "calls the model on the whole set at once (batch_size ignored)",
        "cells": {EX1: EX1_WHOLE_SET}, "caught_by": ["test_ex1_batches"]},
    "ex1_training_mode": {
        "why": "calls the model with training=True: a denoising model adds its own noise",
        "cells": {EX1: EX1_TRAINING_MODE}, "caught_by": ["test_ex1_inference_mode"]},
    # exercise 2
    "ex2_noise_always": {
        "why": "adds noise whatever the phase: also at inference",
        "cells": {EX2: EX2_ALWAYS},
        "caught_by": ["test_ex2_identity_at_inference", "test_ex2_in_model"]},
    "ex2_stddev_ignored": {
        "why": "noise of standard deviation 1 whatever stddev",
        "cells": {EX2: EX2_STDDEV_IGNORED},
        "caught_by": ["test_ex2_noise_statistics", "test_ex2_stddev", "test_ex2_in_model"]},
    "ex2_fixed_seed": {
        "why": "an integer seed: the same noise at every call and every training step",
        "cells": {EX2: EX2_FIXED_SEED}, "caught_by": ["test_ex2_fresh_noise", "test_ex2_in_model"]},
    "ex2_numpy_noise": {
        "why": "NumPy noise: fresh in eager calls, but drawn once when fit traces its graph, "
               "then the same noise at every training step",
        "cells": {EX2: EX2_NUMPY}, "caught_by": ["test_ex2_in_model"]},
    # exercise 3
    "ex3_noise_on_codings": {
        "why": "noise added to the codings instead of the input pixels",
        "cells": {EX3: EX3_NOISE_ON_CODINGS}, "caught_by": ["test_ex3_noise_at_input"]},
    "ex3_lesson_stddev": {
        "why": "the lesson's NOISE_STDDEV (0.5) instead of the stddev argument",
        "cells": {EX3: EX3_LESSON_STDDEV}, "caught_by": ["test_ex3_noise_at_input"]},
    "ex3_decoder_not_mirrored": {
        "why": "decoder layers from reversed(layer_sizes): an extra Dense layer of the codings' "
               "size (784-100-30-30-100-784)",
        "cells": {EX3: EX3_DECODER_NOT_MIRRORED}, "caught_by": ["test_ex3_shapes"]},
    "ex3_noise_forced_on": {
        "why": "GaussianNoise called with training=True: noise at inference too",
        "cells": {EX3: EX3_NOISE_FORCED_ON}, "caught_by": ["test_ex3_inference"]},
    # exercise 4
    "ex4_reversed_kl": {
        "why": "KL(q || p) instead of KL(p || q)",
        "cells": {EX4: EX4_REVERSED}, "caught_by": ["test_ex4_value", "test_ex4_clipping"]},
    "ex4_mean_over_units": {
        "why": "mean over the units (axis 1) instead of over the batch",
        "cells": {EX4: EX4_MEAN_OVER_UNITS},
        "caught_by": ["test_ex4_value", "test_ex4_weight_and_batch_mean"]},
    "ex4_mean_of_kl": {
        "why": "averages the KL over the units instead of summing",
        "cells": {EX4: EX4_MEAN_OF_KL}, "caught_by": ["test_ex4_value"]},
    "ex4_no_clip": {
        "why": "no clipping: a dead unit gives an infinite penalty and NaN gradients",
        "cells": {EX4: EX4_NO_CLIP}, "caught_by": ["test_ex4_clipping"]},
    # exercise 5a
    "ex5a_kernel_regularizer": {
        "why": "the penalty on the weights: kernel_regularizer instead of activity_regularizer",
        "cells": {EX5A: EX5A_KERNEL_REGULARIZER}, "caught_by": ["test_ex5a_penalty_on_codings"]},
    "ex5a_on_hidden_layer": {
        "why": "the penalty on the 100-unit hidden layer, not on the codings",
        "cells": {EX5A: EX5A_ON_HIDDEN_LAYER}, "caught_by": ["test_ex5a_penalty_on_codings"]},
    "ex5a_fixed_l1": {
        "why": "the textbook's L1 penalty whatever regularizer is passed",
        "cells": {EX5A: EX5A_FIXED_L1}, "caught_by": ["test_ex5a_penalty_on_codings"]},
    # exercise 5b
    "ex5b_per_image": {
        "why": "mean over the units of each image (axis 1) instead of over the images",
        "cells": {EX5B: EX5B_PER_IMAGE}, "caught_by": ["test_ex5b_values"]},
    "ex5b_elementwise": {
        "why": "the share of individual activations below the threshold, not of units",
        "cells": {EX5B: EX5B_ELEMENTWISE}, "caught_by": ["test_ex5b_values"]},
    "ex5b_threshold_ignored": {
        "why": "the threshold is fixed at 0.05",
        "cells": {EX5B: EX5B_THRESHOLD_IGNORED}, "caught_by": ["test_ex5b_threshold"]},
}

RIGHT = {
    "ex1_predict": {"why": "model.predict with batch_size, then NumPy",
                    "cells": {EX1: EX1_PREDICT}},
    "ex2_tf_random": {"why": "tf.keras layer with tf.random.normal and no seed generator",
                      "cells": {EX2: EX2_TF_RANDOM}},
    "ex2_is_true": {"why": "`if training is True`, a seeded SeedGenerator, keyword arguments",
                    "cells": {EX2: EX2_IS_TRUE}},
    "ex3_textbook_style": {"why": "tf.keras, GaussianNoise, input_shape= on Flatten, a decoder "
                                  "built on first call",
                           "cells": {EX3: EX3_TEXTBOOK_STYLE}},
    "ex3_reuse_plain": {"why": "noise in front of the lesson's build_autoencoder encoder",
                        "cells": {EX3: EX3_REUSE_PLAIN}},
    "ex4_textbook": {"why": "the textbook's code: tf.keras.losses.kullback_leibler_divergence, "
                            "twice",
                     "cells": {EX4: EX4_TEXTBOOK}},
    "ex4_tf_math": {"why": "tf.math with another small epsilon",
                    "cells": {EX4: EX4_TF_MATH}},
    "ex5a_textbook_style": {"why": "the textbook's tf.keras code with input_shape=",
                            "cells": {EX5A: EX5A_TEXTBOOK_STYLE}},
    "ex5b_loop": {"why": "plain Python loops",
                  "cells": {EX5B: EX5B_LOOP}},
}
