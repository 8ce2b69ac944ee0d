print("ray pipeline")
