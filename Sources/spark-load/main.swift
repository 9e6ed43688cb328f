print("spark-load: placeholder")
