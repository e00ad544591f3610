    SELECT * FROM sys.certificates;  
