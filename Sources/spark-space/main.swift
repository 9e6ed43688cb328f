print("spark-space")
