"""Training tooling, apart from the operator tools: the corpus readers (corpus/), the training data and its split
(data.py), the model build (build_model.py), the leave-one-source-out report and the labelling audit."""
