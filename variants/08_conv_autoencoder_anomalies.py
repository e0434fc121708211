"""Plausible wrong answers and correct answers in other styles for lesson 8.

Graded by ``aecourse variants 08_conv_autoencoder_anomalies``: every WRONG answer must lose
points (in each of its ``caught_by`` test cells), every RIGHT answer must earn full marks.
"""

# --- Exercise 1: the convolutional encoder -----------------------------------------------------

ENC = "ex1_build_conv_encoder"
ENC_SHAPES, ENC_PARAMS, ENC_CONV = (
    "test_ex1_encoder_shapes", "test_ex1_encoder_params", "test_ex1_encoder_convolutional")


def encoder(*layers, head="keras.Input(shape=(None, None, 1)),"):
    body = "\n".join(f"        {layer}," for layer in layers)
    return (f"def build_conv_encoder(coding_channels=4):\n"
            f"    return keras.Sequential([\n        {head}\n{body}\n    ])\n")


CONV16 = 'keras.layers.Conv2D(16, 3, padding="same", activation="relu")'
CONV32 = 'keras.layers.Conv2D(32, 3, padding="same", activation="relu")'
CODES = 'keras.layers.Conv2D(coding_channels, 3, padding="same", activation="relu")'
POOL = "keras.layers.MaxPool2D(2)"

WRONG = {
    "enc_valid_padding": {
        "why": "padding='valid' everywhere: 28 -> 26 -> 13 -> 11 -> 5 -> 3 (same parameters)",
        "cells": {ENC: encoder(CONV16.replace("same", "valid"), POOL,
                               CONV32.replace("same", "valid"), POOL,
                               CODES.replace("same", "valid"))},
        "caught_by": [ENC_SHAPES, ENC_CONV]},
    "enc_linear_codings": {
        "why": "no activation on the codings layer",
        "cells": {ENC: encoder(CONV16, POOL, CONV32, POOL,
                               CODES.replace(', activation="relu"', ""))},
        "caught_by": [ENC_CONV]},
    "enc_ignores_coding_channels": {
        "why": "4 coding channels hard-coded, the argument ignored",
        "cells": {ENC: encoder(CONV16, POOL, CONV32, POOL, CODES.replace("coding_channels", "4"))},
        "caught_by": [ENC_SHAPES, ENC_PARAMS]},
    "enc_textbook_global_pool": {
        "why": "the textbook's encoder copied: three poolings and GlobalAvgPool2D to 30 codings",
        "cells": {ENC: encoder(CONV16, POOL, CONV32, POOL,
                               'keras.layers.Conv2D(64, 3, padding="same", activation="relu")',
                               POOL, CODES.replace("coding_channels", "30"),
                               "keras.layers.GlobalAvgPool2D()")},
        "caught_by": [ENC_SHAPES, ENC_PARAMS, ENC_CONV]},
}

RIGHT = {
    "enc_tf_keras_input_shape": {
        "why": "tf.keras layers, input_shape= on the first layer (Keras 3 warns), MaxPooling2D",
        "cells": {ENC: """
def build_conv_encoder(coding_channels=4):
    return tf.keras.Sequential([
        tf.keras.layers.Conv2D(16, (3, 3), padding="same", activation="relu",
                               input_shape=(None, None, 1)),
        tf.keras.layers.MaxPooling2D(pool_size=(2, 2)),
        tf.keras.layers.Conv2D(32, (3, 3), padding="same", activation="relu"),
        tf.keras.layers.MaxPooling2D(pool_size=(2, 2)),
        tf.keras.layers.Conv2D(coding_channels, (3, 3), padding="same", activation="relu"),
    ])
"""}},
    "enc_subclassed_separate_relu": {
        "why": "a subclassed model, with the ReLU as separate layers",
        "cells": {ENC: """
class ConvEncoder(keras.Model):
    def __init__(self, coding_channels, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = keras.layers.Conv2D(16, 3, padding="same")
        self.conv2 = keras.layers.Conv2D(32, 3, padding="same")
        self.conv3 = keras.layers.Conv2D(coding_channels, 3, padding="same")
        self.pool = keras.layers.MaxPool2D(2)
        self.relu = keras.layers.ReLU()

    def call(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        return self.relu(self.conv3(x))


def build_conv_encoder(coding_channels=4):
    return ConvEncoder(coding_channels)
"""}},
}

# --- Exercise 2: the convolutional decoder -----------------------------------------------------

DEC = "ex2_build_conv_decoder"
DEC_SHAPES, DEC_PARAMS, DEC_SIGMOID, DEC_CONV = (
    "test_ex2_decoder_shapes", "test_ex2_decoder_params", "test_ex2_decoder_sigmoid",
    "test_ex2_decoder_convolutional")


def decoder(*layers, head="keras.Input(shape=(None, None, coding_channels)),"):
    body = "\n".join(f"        {layer}," for layer in layers)
    return (f"def build_conv_decoder(coding_channels=4):\n"
            f"    return keras.Sequential([\n        {head}\n{body}\n    ])\n")


UP32 = 'keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")'
UP16 = 'keras.layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")'
OUT = 'keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid")'

WRONG.update({
    "dec_no_sigmoid": {
        "why": "linear output layer (the sigmoid forgotten, as in lesson 3)",
        "cells": {DEC: decoder(UP32, UP16, OUT.replace(', activation="sigmoid"', ""))},
        "caught_by": [DEC_SIGMOID]},
    "dec_linear_hidden": {
        "why": "no activation on the transposed convolutions: a linear network before the sigmoid",
        "cells": {DEC: decoder(UP32.replace(', activation="relu"', ""),
                               UP16.replace(', activation="relu"', ""), OUT)},
        "caught_by": [DEC_SIGMOID]},
    "dec_no_strides": {
        "why": "transposed convolutions without strides=2: the image stays 7x7",
        "cells": {DEC: decoder(UP32.replace(" strides=2,", ""), UP16.replace(" strides=2,", ""),
                               OUT)},
        "caught_by": [DEC_SHAPES, DEC_CONV]},
})

RIGHT.update({
    "dec_upsampling_conv": {
        "why": "UpSampling2D + Conv2D instead of Conv2DTranspose (allowed by the exercise)",
        "cells": {DEC: """
def build_conv_decoder(coding_channels=4):
    return keras.Sequential([
        keras.Input(shape=(None, None, coding_channels)),
        keras.layers.UpSampling2D(2),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.UpSampling2D(2),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
    ])
"""}},
    "dec_tf_keras_input_shape": {
        "why": "tf.keras, input_shape= on the first layer, a stride-1 Conv2DTranspose output "
               "layer and a separate sigmoid Activation layer",
        "cells": {DEC: """
def build_conv_decoder(coding_channels=4):
    return tf.keras.Sequential([
        tf.keras.layers.Conv2DTranspose(32, kernel_size=3, strides=(2, 2), padding="same",
                                        activation="relu",
                                        input_shape=(None, None, coding_channels)),
        tf.keras.layers.Conv2DTranspose(16, kernel_size=3, strides=(2, 2), padding="same",
                                        activation="relu"),
        tf.keras.layers.Conv2DTranspose(1, kernel_size=3, padding="same"),
        tf.keras.layers.Activation("sigmoid"),
    ])
"""}},
})

# --- Exercise 3: a training set without one class ----------------------------------------------

EXC = "ex3_exclude_class"
EXC_VALUES, EXC_PAIRED = "test_ex3_exclude_values", "test_ex3_exclude_paired"

WRONG.update({
    "exc_keeps_only_class": {
        "why": "the mask the wrong way round: keeps only the held-out class",
        "cells": {EXC: """
def exclude_class(X, y, label):
    keep = y == label
    return X[keep], y[keep]
"""},
        "caught_by": [EXC_VALUES, EXC_PAIRED]},
    "exc_images_only": {
        "why": "filters the images but returns the labels unfiltered",
        "cells": {EXC: """
def exclude_class(X, y, label):
    return X[y != label], y
"""},
        "caught_by": [EXC_VALUES, EXC_PAIRED]},
    "exc_label_as_index": {
        "why": "np.delete with the label as an index: removes one image, at position `label`",
        "cells": {EXC: """
def exclude_class(X, y, label):
    return np.delete(X, label, axis=0), np.delete(y, label)
"""},
        "caught_by": [EXC_VALUES, EXC_PAIRED]},
})

RIGHT.update({
    "exc_tf_boolean_mask": {
        "why": "tf.boolean_mask: returns tensors",
        "cells": {EXC: """
def exclude_class(X, y, label):
    mask = tf.not_equal(y, label)
    return tf.boolean_mask(X, mask), tf.boolean_mask(y, mask)
"""}},
})

# --- Exercise 4: reconstruction errors ---------------------------------------------------------

ERR = "ex4_reconstruction_errors"
ERR_VALUES, ERR_SHAPES, ERR_BATCHES = (
    "test_ex4_errors_values", "test_ex4_errors_shapes", "test_ex4_errors_batches")


def errors(body, signature="model, X, batch_size=256"):
    return f"def reconstruction_errors({signature}):\n" + "\n".join(
        f"    {line}" for line in body.strip("\n").splitlines()) + "\n"


PREDICT = "R = model.predict(X, batch_size=batch_size, verbose=0)"

WRONG.update({
    "err_sum": {
        "why": "squared errors summed over the pixels instead of averaged",
        "cells": {ERR: errors(PREDICT + "\nreturn ((X - R) ** 2).reshape(len(X), -1).sum(axis=1)")},
        "caught_by": [ERR_VALUES, ERR_SHAPES, ERR_BATCHES]},
    "err_mean_over_batch": {
        "why": "one MSE for the whole batch (the loss) instead of one per image",
        "cells": {ERR: errors(PREDICT + "\nreturn np.mean((X - R) ** 2)")},
        "caught_by": [ERR_VALUES, ERR_SHAPES, ERR_BATCHES]},
    "err_axes_123": {
        "why": "mean over axes (1, 2, 3): only works for images with a channel axis",
        "cells": {ERR: errors(PREDICT + "\nreturn np.mean((X - R) ** 2, axis=(1, 2, 3))")},
        "caught_by": [ERR_SHAPES]},
    "err_ignores_batch_size": {
        "why": "model.predict without batch_size: batches of 32 whatever the argument",
        "cells": {ERR: errors("R = model.predict(X, verbose=0)\n"
                              "return ((X - R) ** 2).reshape(len(X), -1).mean(axis=1)")},
        "caught_by": [ERR_BATCHES]},
})

RIGHT.update({
    "err_keras_ops": {
        "why": "keras.ops on the predictions, mean over every axis but the first",
        "cells": {ERR: errors(PREDICT + """
axes = tuple(range(1, len(X.shape)))
return keras.ops.convert_to_numpy(keras.ops.mean(keras.ops.square(X - R), axis=axes))""")}},
    "err_manual_batches": {
        "why": "a loop calling the model on slices of batch_size images",
        "cells": {ERR: errors("""
out = []
for start in range(0, len(X), batch_size):
    batch = X[start:start + batch_size]
    R = keras.ops.convert_to_numpy(model(batch, training=False))
    out.append(np.mean(np.square(batch - R).reshape(len(batch), -1), axis=1))
return np.concatenate(out)""")}},
})

# --- Exercise 5: the ROC-AUC -------------------------------------------------------------------

AUC = "ex5_anomaly_auc"
AUC_VALUES, AUC_POSITIVES = "test_ex5_auc_values", "test_ex5_auc_positives"


def auc(body):
    return ("from sklearn.metrics import roc_auc_score\n\n\n"
            "def anomaly_auc(scores, labels, anomaly_class):\n" + "\n".join(
                f"    {line}" for line in body.strip("\n").splitlines()) + "\n")


WRONG.update({
    "auc_inverted_positives": {
        "why": "the normal images as the positives: 1 - AUC",
        "cells": {AUC: auc("return float(roc_auc_score(labels != anomaly_class, scores))")},
        "caught_by": [AUC_VALUES, AUC_POSITIVES]},
    "auc_swapped_arguments": {
        "why": "roc_auc_score(scores, positives): the arguments in the wrong order",
        "cells": {AUC: auc("return float(roc_auc_score(scores, labels == anomaly_class))")},
        "caught_by": [AUC_VALUES, AUC_POSITIVES]},
    "auc_hard_coded_bags": {
        "why": "class 8 hard-coded instead of anomaly_class",
        "cells": {AUC: auc("return float(roc_auc_score(labels == 8, scores))")},
        "caught_by": [AUC_POSITIVES]},
})

RIGHT.update({
    "auc_no_cast": {
        "why": "roc_auc_score's own return value (a NumPy float) and int labels",
        "cells": {AUC: auc("y_true = (np.asarray(labels) == anomaly_class).astype(int)\n"
                           "return roc_auc_score(y_true, scores)")}},
})

# --- Exercise 6: the most and least anomalous images -------------------------------------------

EXT = "ex6_most_and_least_anomalous"
EXT_VALUES, EXT_TIES = "test_ex6_extremes_values", "test_ex6_extremes_ties"


def extremes(body):
    return "def most_and_least_anomalous(scores, k=10):\n" + "\n".join(
        f"    {line}" for line in body.strip("\n").splitlines()) + "\n"


WRONG.update({
    "ext_swapped": {
        "why": "most and least anomalous swapped",
        "cells": {EXT: extremes("order = np.argsort(scores, kind='stable')\n"
                                "return order[:k], np.argsort(-scores, kind='stable')[:k]")},
        "caught_by": [EXT_VALUES, EXT_TIES]},
    "ext_reversed_ties": {
        "why": "the increasing order reversed for the most anomalous: ties in reverse order",
        "cells": {EXT: extremes("order = np.argsort(scores, kind='stable')\n"
                                "return order[::-1][:k], order[:k]")},
        "caught_by": [EXT_TIES]},
    "ext_argpartition": {
        "why": "the np.argpartition top-k idiom: the right indices, the highest last",
        "cells": {EXT: extremes("k = min(k, len(scores))\n"
                                "most = np.argpartition(scores, -k)[-k:]\n"
                                "least = np.argpartition(scores, k - 1)[:k]\n"
                                "return most, least")},
        "caught_by": [EXT_VALUES]},
    "ext_ignores_k": {
        "why": "10 hard-coded",
        "cells": {EXT: extremes("return (np.argsort(-scores, kind='stable')[:10],\n"
                                "        np.argsort(scores, kind='stable')[:10])")},
        "caught_by": [EXT_VALUES, EXT_TIES]},
})

RIGHT.update({
    "ext_python_sorted": {
        "why": "Python's sorted with a (score, index) key",
        "cells": {EXT: extremes("n = len(scores)\n"
                                "most = sorted(range(n), key=lambda i: (-scores[i], i))[:k]\n"
                                "least = sorted(range(n), key=lambda i: (scores[i], i))[:k]\n"
                                "return np.array(most, dtype=int), np.array(least, dtype=int)")}},
})
