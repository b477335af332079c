import keras
import numpy as np

from nlpsuite.layers import CRF, CRFDecode, CRFLoss

tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
tokens = keras.Input(shape=(None,), dtype="int32")
x = keras.layers.Embedding(1000, 32, mask_zero=True)(tokens)  # id 0 = padding
x = keras.layers.Bidirectional(keras.layers.LSTM(32, return_sequences=True))(x)
x = keras.layers.Dense(len(tags))(x)
crf = CRF(len(tags), constraints="bio", tags=tags)
model = keras.Model(tokens, crf(x))
model.compile(optimizer="adam", loss=CRFLoss())  # mean negative log-likelihood

rng = np.random.default_rng(0)
x_train = rng.integers(1, 1000, size=(64, 12))
x_train[:, 9:] = 0  # padding
y_train = rng.integers(0, len(tags), size=(64, 12))  # gold tag ids; padding values are ignored
model.fit(x_train, y_train, batch_size=16, epochs=1, verbose=0)

tag_ids = crf.decode(model.predict(x_train[:2], verbose=0))  # Viterbi, 0 at padding
print([[tags[i] for i in row[:9]] for row in keras.ops.convert_to_numpy(tag_ids)])

tagger = keras.Model(tokens, CRFDecode()(model.output))  # in-graph decoding for serving
print(tagger.predict(x_train[:2], verbose=0).shape)
